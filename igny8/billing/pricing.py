"""Pricing in Decimal: one price model for every bill igny8 meets. Pure functions.

A model's price (``PriceCard``) is its per-1k columns (input, cached input, output, per
image: the simple case an admin edits) plus an optional ``pricing`` structure
(igny8.billing.price_schema) for everything else: cache writes by TTL, reasoning output,
image tokens, tiers by prompt size, service tiers, per-image prices by size and quality,
and whether the provider's reported cost is the cost. docs/metering.md works an example
of each shape.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..ai.usage import SERVICE_TIERS, Usage

USD_PLACES = Decimal("0.00000001")
MILLION = Decimal(1_000_000)
THOUSAND = Decimal(1000)
ZERO = Decimal(0)

# Token rates, in USD per 1M tokens inside igny8 (a structure may say per 1k).
RATE_KEYS = (
    "input",
    "cached_input",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "reasoning_output",
    "image_input",
    "cached_image_input",
    "image_output",
)
# An unset rate is the rate it falls back to (in this order: a fallback may fall back).
FALLBACK = {
    "cached_input": "input",
    "cache_write_5m": "input",
    "cache_write_1h": "cache_write_5m",
    "reasoning_output": "output",
    "image_input": "input",
    "cached_image_input": "image_input",
    "image_output": "output",
}


def usd(value: Decimal) -> Decimal:
    return value.quantize(USD_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    """Above ``above_input_tokens`` input tokens (all input: cached and cache writes
    included), these rates replace the ones below; unnamed rates stay as they were."""

    above_input_tokens: int
    rates: dict  # rate key -> Decimal per 1M


@dataclass(frozen=True)
class RateSet:
    rates: dict = field(default_factory=dict)  # rate key -> Decimal per 1M
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True)
class PriceCard:
    """Everything a model's bill depends on, at one point in time."""

    base: RateSet = field(default_factory=RateSet)
    # Service tier -> its rates; a rate it names (with its own tiers) replaces the base one.
    service_tiers: dict = field(default_factory=dict)
    per_image: Decimal = ZERO
    # "SIZE/QUALITY" or "SIZE" -> USD per image; the per_image price otherwise.
    image_prices: dict = field(default_factory=dict)
    # The provider's reported cost, when it reports one, is the cost of the call.
    provider_reported_cost: bool = False
    # Declared free (``"free": true``): a zero price is meant, not missing.
    free: bool = False

    @classmethod
    def of(cls, row) -> "PriceCard":
        """From anything with the per-1k columns and ``pricing`` (a model or a price row)."""
        from .price_schema import parse_pricing  # the schema module builds on this one

        base = {
            "input": Decimal(row.cost_per_1k_input or 0) * THOUSAND,
            "output": Decimal(row.cost_per_1k_output or 0) * THOUSAND,
        }
        if row.cost_per_1k_cached_input is not None:
            base["cached_input"] = Decimal(row.cost_per_1k_cached_input) * THOUSAND
        return parse_pricing(getattr(row, "pricing", None), base, Decimal(row.cost_per_image or 0))


def unpriced(card: PriceCard, model_type: str) -> tuple[str, ...]:
    """The parts a model is billed for that have no price: empty when it is priced, or
    declared free. A text model needs input and output rates; an image model a price per
    image (plain or by size and quality) or image output tokens."""
    if card.free:
        return ()
    rates, _ = rates_in_force(card, "standard", 0)
    if model_type == "text":
        return tuple(part for part in ("input", "output") if not rates[part])
    if card.per_image or any(card.image_prices.values()) or rates["image_output"]:
        return ()
    return ("per image",)


@dataclass(frozen=True)
class Bill:
    """A priced call: five disjoint parts of the catalog cost, which rates applied, and
    the provider's own figure when it reports one (then that is the cost)."""

    input: Decimal  # fresh text input
    cached: Decimal  # cache reads of text
    cache_write: Decimal  # cache writes, both TTLs
    output: Decimal  # text output, reasoning included
    images: Decimal  # image input and output tokens (cached included), per-image prices
    catalog_total: Decimal
    reported: Decimal | None = None
    tier: str = "standard"  # which rates applied, e.g. "flex, above 200000 input tokens"
    service_tier: str = "standard"
    rates: dict = field(default_factory=dict)  # the rates used: key -> "USD per 1M" string
    image_price: Decimal = ZERO
    note: str | None = None  # e.g. an unknown service tier, priced standard

    @property
    def total(self) -> Decimal:
        return self.reported if self.reported is not None else self.catalog_total

    def rate_per_1k(self, key: str) -> Decimal:
        return Decimal(self.rates[key]) / THOUSAND


def rates_in_force(card: PriceCard, service_tier: str, input_tokens: int) -> tuple[dict, bool]:
    """Every rate in force for this call, and whether a prompt-size tier applied."""
    override = card.service_tiers.get(service_tier) if service_tier != "standard" else None
    rates, tiered = {}, False
    for key in RATE_KEYS:
        source = override if override is not None and key in override.rates else card.base
        if key not in source.rates:
            continue
        value = source.rates[key]
        for tier in source.tiers:  # ascending: the highest tier passed wins
            if input_tokens > tier.above_input_tokens and key in tier.rates:
                value, tiered = tier.rates[key], True
        rates[key] = value
    for key in RATE_KEYS:  # unset rates take their fallback's
        if key not in rates:
            rates[key] = rates.get(FALLBACK.get(key), ZERO)
    return rates, tiered


def _tier_label(card: PriceCard, service_tier: str, input_tokens: int, tiered: bool) -> str:
    if not tiered:
        return service_tier
    override = card.service_tiers.get(service_tier)
    tiers = override.tiers if override is not None and override.tiers else card.base.tiers
    passed = [t.above_input_tokens for t in tiers if input_tokens > t.above_input_tokens]
    return f"{service_tier}, above {max(passed)} input tokens"


def image_price(card: PriceCard, size: str | None, quality: str | None) -> Decimal:
    """The price of one image of this size and quality."""
    for key in (f"{size}/{quality}", f"{size}"):
        if key in card.image_prices:
            return card.image_prices[key]
    return card.per_image


def _split_rounded(parts: list[Decimal], total: Decimal) -> list[Decimal]:
    """Round each part to 8 places so that they add up to the rounded total exactly
    (the remainder goes to the largest part)."""
    rounded = [usd(p) for p in parts]
    gap = usd(total) - sum(rounded, ZERO)
    if gap:
        largest = max(range(len(parts)), key=lambda i: parts[i])
        rounded[largest] += gap
    return rounded


def price(usage: Usage, card: PriceCard) -> Bill:
    """The cost of one call, exact, rounded once to 8 places (half up)."""
    note = None
    service_tier = usage.service_tier or "standard"
    if service_tier != "standard" and service_tier not in card.service_tiers:
        if service_tier not in SERVICE_TIERS:
            note = f"unknown service tier {service_tier!r}: priced standard"
        else:
            note = f"no {service_tier} prices for this model: priced standard"
        service_tier = "standard"
    rates, tiered = rates_in_force(card, service_tier, usage.input_tokens)

    image_fresh = usage.image_input_tokens - usage.cached_image_input_tokens
    text_cached = usage.cached_input_tokens - usage.cached_image_input_tokens
    cache_5m = usage.cache_write_tokens - usage.cache_write_1h_tokens
    text_fresh = usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens
    text_fresh -= image_fresh
    if text_fresh < 0:
        raise ValueError("image input tokens overlap cache writes: the usage does not add up")
    text_output = usage.output_tokens - usage.reasoning_tokens - usage.image_output_tokens
    one_image = image_price(card, usage.image_size, usage.image_quality)

    def tokens(count, key):
        return count * rates[key] / MILLION

    parts = [
        tokens(text_fresh, "input"),
        tokens(text_cached, "cached_input"),
        tokens(cache_5m, "cache_write_5m") + tokens(usage.cache_write_1h_tokens, "cache_write_1h"),
        tokens(text_output, "output") + tokens(usage.reasoning_tokens, "reasoning_output"),
        tokens(image_fresh, "image_input")
        + tokens(usage.cached_image_input_tokens, "cached_image_input")
        + tokens(usage.image_output_tokens, "image_output")
        + usage.images * one_image,
    ]
    exact = sum(parts, ZERO)
    input_, cached, cache_write, output, images = _split_rounded(parts, exact)
    reported = None
    if card.provider_reported_cost and usage.reported_cost_usd is not None:
        reported = usd(usage.reported_cost_usd)
    return Bill(
        input=input_,
        cached=cached,
        cache_write=cache_write,
        output=output,
        images=images,
        catalog_total=usd(exact),
        reported=reported,
        tier=_tier_label(card, service_tier, usage.input_tokens, tiered),
        service_tier=service_tier,
        rates={k: format(v.normalize(), "f") for k, v in rates.items()},
        image_price=one_image,
        note=note,
    )


def bill_columns(usage: Usage, bill: Bill) -> dict:
    """The usage row's columns that say how a call was priced (the meter and
    backfill-costs write the same ones)."""
    return dict(
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
        image_input_tokens=usage.image_input_tokens,
        cached_image_input_tokens=usage.cached_image_input_tokens,
        image_output_tokens=usage.image_output_tokens,
        service_tier=usage.service_tier,
        image_size=usage.image_size,
        image_quality=usage.image_quality,
        price_per_1k_input=bill.rate_per_1k("input"),
        price_per_1k_cached_input=bill.rate_per_1k("cached_input"),
        price_per_1k_output=bill.rate_per_1k("output"),
        price_per_image=bill.image_price,
        prices_used={**bill.rates, "per_image": format(bill.image_price.normalize(), "f")},
        price_tier=bill.tier,
        price_note=bill.note,
        cost_usd_input=bill.input,
        cost_usd_cached=bill.cached,
        cost_usd_cache_write=bill.cache_write,
        cost_usd_output=bill.output,
        cost_usd_images=bill.images,
        cost_usd_reported=bill.reported,
        cost_usd_total=bill.total,
    )
