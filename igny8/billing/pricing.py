"""Pricing in Decimal: one price model for every bill igny8 meets. Pure functions.

A model's price (``PriceCard``) is its per-1k columns (input, cached input, output, per
image: the simple case an admin edits) plus an optional ``pricing`` structure
(igny8.billing.price_schema) for everything else: cache writes by TTL, reasoning output,
image tokens, tiers by prompt size, service tiers, per-image prices by size and quality,
and whether the provider's reported cost is the cost. docs/metering.md works an example
of each shape.
"""

from bisect import bisect_left
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from ..ai.usage import SERVICE_TIERS, Usage

# The precision of every amount of USD, in pricing, reports and storage alike: the scale of
# the Money columns (models.base.Money, 8 places; tests/test_pricing checks they agree).
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


_PLAIN: dict = {}


def plain(value: Decimal) -> str:
    """A rate or amount as the catalog and the rows write it ("0.15", never "1.5E-1"):
    rates repeat, so each is formatted once."""
    found = _PLAIN.get(value)
    if found is None:
        found = _PLAIN[value] = format(value.normalize(), "f")
        if len(_PLAIN) > 10_000:  # rates are few; products of odd multipliers need not be kept
            _PLAIN.clear()
    return found


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
    # Speed -> its rates, replacing the service tier's and the base ones it names.
    speeds: dict = field(default_factory=dict)
    # Tool -> USD per 1,000 requests of a server-side tool.
    tool_fees: dict = field(default_factory=dict)
    # Inference geography -> the multiplier of every token rate there.
    geo_multipliers: dict = field(default_factory=dict)
    # "SIZE/QUALITY" or "SIZE" -> output tokens of one image (to estimate a usage-less answer).
    image_tokens: dict = field(default_factory=dict)

    def dearest_cost(self, input_tokens: int, output_tokens: int, image_tokens: int = 0) -> Decimal:
        """What ``input_tokens`` fresh in and ``output_tokens`` out (``image_tokens`` of them
        image output) cost at the dearest service tier, speed and geography this card
        declares: a hold's worst case (a provider may apply them unasked). The rates are
        found once per prompt-size bracket: a hold is made on every call."""
        brackets = self._brackets
        bracket = bisect_left(brackets, input_tokens)  # thresholds below input_tokens
        found = self._dearest_rates.get(bracket)
        if found is None:
            at = brackets[bracket - 1] + 1 if bracket else 0
            found = self._dearest_rates[bracket] = {
                (r["input"], r["output"], r["image_output"])
                for r in (
                    rates_in_force(self, tier, at, speed, geo)[0]
                    for tier in ("standard", *self.service_tiers)
                    for speed in (None, *self.speeds)
                    for geo in (None, *self.geo_multipliers)
                )
            }
        text_out = output_tokens - image_tokens
        return (
            max(input_tokens * i + text_out * o + image_tokens * io for i, o, io in found) / MILLION
        )

    @cached_property
    def _brackets(self) -> list[int]:
        sets = (self.base, *self.service_tiers.values(), *self.speeds.values())
        return sorted({t.above_input_tokens for rate_set in sets for t in rate_set.tiers})

    @cached_property
    def _dearest_rates(self) -> dict:
        return {}

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
    """A priced call: six disjoint parts (tool fees the sixth) of the catalog cost, which rates applied, and
    the provider's own figure when it reports one (then that is the cost)."""

    input: Decimal  # fresh text input
    cached: Decimal  # cache reads of text
    cache_write: Decimal  # cache writes, both TTLs
    output: Decimal  # text output, reasoning included
    images: Decimal  # image input and output tokens (cached included), per-image prices
    catalog_total: Decimal
    reported: Decimal | None = None
    tools: Decimal = ZERO  # server-side tool fees (a sixth part)
    # The catalog's price of the images the provider's reported cost does not cover.
    unreported: Decimal = ZERO
    tier: str = "standard"  # which rates applied, e.g. "flex, above 200000 input tokens"
    service_tier: str = "standard"
    rates: dict = field(default_factory=dict)  # the rates used: key -> "USD per 1M" string
    image_price: Decimal = ZERO
    note: str | None = None  # e.g. an unknown service tier, priced standard

    @property
    def total(self) -> Decimal:
        if self.reported is not None:
            return self.reported + self.unreported
        return self.catalog_total

    def rate_per_1k(self, key: str) -> Decimal:
        return Decimal(self.rates[key]) / THOUSAND


def rates_in_force(
    card: PriceCard,
    service_tier: str,
    input_tokens: int,
    speed: str | None = None,
    geo: str | None = None,
) -> tuple[dict, bool]:
    """Every rate in force for this call, and whether a prompt-size tier applied. A rate
    comes from the speed's rates if they name it, else the service tier's, else the base
    (each with its own prompt-size tiers); the geography multiplies all of them."""
    layers = [card.base]
    if service_tier != "standard" and service_tier in card.service_tiers:
        layers.append(card.service_tiers[service_tier])
    if speed in card.speeds:
        layers.append(card.speeds[speed])
    rates, tiered = {}, False
    for key in RATE_KEYS:
        for layer in reversed(layers):  # the last layer that names the rate
            if key in layer.rates:
                value = layer.rates[key]
                for tier in layer.tiers:  # ascending: the highest tier passed wins
                    if input_tokens > tier.above_input_tokens and key in tier.rates:
                        value, tiered = tier.rates[key], True
                rates[key] = value
                break
    for key in RATE_KEYS:  # unset rates take their fallback's
        if key not in rates:
            rates[key] = rates.get(FALLBACK.get(key), ZERO)
    multiplier = card.geo_multipliers.get(geo) if geo else None
    if multiplier is not None:
        rates = {k: v * multiplier for k, v in rates.items()}
    return rates, tiered


def _tier_label(card: PriceCard, service_tier: str, usage: Usage, tiered: bool, speed, geo) -> str:
    """e.g. "standard", "priority, fast", "standard, geo us, above 200000 input tokens"."""
    label = [service_tier]
    if speed:
        label.append(speed)
    if geo:
        label.append(f"geo {geo}")
    if tiered:
        layers = [card.base, card.service_tiers.get(service_tier), card.speeds.get(speed)]
        tiers = [t for layer in layers if layer is not None for t in layer.tiers]
        passed = [t.above_input_tokens for t in tiers if usage.input_tokens > t.above_input_tokens]
        label.append(f"above {max(passed)} input tokens")
    return ", ".join(label)


def image_price(card: PriceCard, size: str | None, quality: str | None) -> Decimal:
    """The price of one image of this size and quality."""
    for key in (f"{size}/{quality}", f"{size}"):
        if key in card.image_prices:
            return card.image_prices[key]
    return card.per_image


def image_tokens(card: PriceCard, size: str | None, quality: str | None) -> int | None:
    """The output tokens one image of this size and quality takes, if the card says."""
    for key in (f"{size}/{quality}", f"{size}"):
        if key in card.image_tokens:
            return card.image_tokens[key]
    return None


def by_image_tokens(card: PriceCard) -> bool:
    """Whether the card prices images by their tokens (gpt-image) rather than per image."""
    if card.per_image or any(card.image_prices.values()):
        return False
    return bool(rates_in_force(card, "standard", 0)[0]["image_output"])


def _split_rounded(parts: list[Decimal], total: Decimal) -> list[Decimal]:
    """Round each part to 8 places so that they add up to the rounded total exactly
    (the remainder goes to the largest part)."""
    rounded = [usd(p) for p in parts]
    gap = usd(total) - sum(rounded, ZERO)
    if gap:
        largest = max(range(len(parts)), key=lambda i: parts[i])
        rounded[largest] += gap
    return rounded


# An inference geography priced as the base rates, whatever the card declares.
GLOBAL_GEOS = ("global", "")


def price(usage: Usage, card: PriceCard) -> Bill:
    """The cost of one call, exact, rounded once to 8 places (half up)."""
    notes = []
    service_tier = usage.service_tier or "standard"
    if service_tier != "standard" and service_tier not in card.service_tiers:
        if service_tier not in SERVICE_TIERS:
            notes.append(f"unknown service tier {service_tier!r}: priced standard")
        else:
            notes.append(f"no {service_tier} prices for this model: priced standard")
        service_tier = "standard"
    speed = usage.speed if usage.speed not in (None, "standard") else None
    if speed is not None and speed not in card.speeds:
        notes.append(f"no {speed!r} speed prices for this model: priced at its usual speed")
        speed = None
    geo = usage.inference_geo if usage.inference_geo not in (None, *GLOBAL_GEOS) else None
    if geo is not None and geo not in card.geo_multipliers:
        geo = None  # a geography the model does not price differently
    rates, tiered = rates_in_force(card, service_tier, usage.input_tokens, speed, geo)

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
    tool_fees = ZERO
    for tool, count in sorted(usage.tool_requests.items()):
        if tool in card.tool_fees:
            tool_fees += count * card.tool_fees[tool] / THOUSAND
        elif count:
            notes.append(f"no price for the {tool} tool: {count} request(s) not charged")
    parts.append(tool_fees)
    exact = sum(parts, ZERO)
    input_, cached, cache_write, output, images, tools = _split_rounded(parts, exact)
    reported, unreported = None, ZERO
    if card.provider_reported_cost and usage.reported_cost_usd is not None:
        reported = usd(usage.reported_cost_usd)
        if usage.unreported_images:
            unreported = usd(usage.unreported_images * one_image)
            notes.append(
                f"{usage.unreported_images} of {usage.images} images without a reported "
                "cost: priced from the catalog"
            )
    used = {k: plain(v) for k, v in rates.items()}
    if usage.tool_requests:  # the fees of the tools it ran, to re-price the row by hand
        used.update(
            {
                f"tool:{t}": plain(card.tool_fees[t])
                for t in usage.tool_requests
                if t in card.tool_fees
            }
        )
    return Bill(
        input=input_,
        cached=cached,
        cache_write=cache_write,
        output=output,
        images=images,
        tools=tools,
        catalog_total=usd(exact),
        reported=reported,
        unreported=unreported,
        tier=_tier_label(card, service_tier, usage, tiered, speed, geo),
        service_tier=service_tier,
        rates=used,
        image_price=one_image,
        note="; ".join(notes) or None,
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
        cost_usd_tools=bill.tools,
        cost_usd_reported=bill.reported,
        cost_usd_total=bill.total,
        tool_requests=usage.tool_requests or None,
        inference_geo=usage.inference_geo,
        speed=usage.speed,
        unreported_images=usage.unreported_images,
    )
