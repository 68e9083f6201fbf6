"""Catalog prices from the genai-prices database (a maintained, Decimal price list with
tiers, cache and service-tier prices), for `flask igny8 prices sync`.

Pure functions: ``genai_price`` turns genai-prices' entry for a model into igny8's price
(per-1k columns and ``pricing`` structure); ``differences`` says where two prices bill
differently. A provider plugin's name is its genai-prices provider id.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .pricing import RATE_KEYS, SERVICE_TIERS, PriceCard, plain, rates_in_force

# genai-prices price key -> igny8 rate key (per 1M tokens on both sides)
GENAI_KEYS = {
    "input_mtok": "input",
    "cache_read_mtok": "cached_input",
    "cache_write_mtok": "cache_write_5m",
    "cache_write_1h_mtok": "cache_write_1h",
    "output_mtok": "output",
    "input_image_mtok": "image_input",
    "cache_image_read_mtok": "cached_image_input",
    "output_image_mtok": "image_output",
}
# igny8 service tier -> the genai-prices request context that selects it
GENAI_CONTEXT = {
    "flex": {"service_tier": "flex"},
    "priority": {"service_tier": "priority"},
    "batch": {"processing": "batch"},
}
COLUMN_KEYS = ("input", "cached_input", "output")
# genai-prices per-1,000-request fee -> igny8 tool name
GENAI_TOOLS = {"web_searches_kcount": "web_search"}
# Parts of the structure genai-prices knows nothing of: kept as they are.
OWN_KEYS = (
    "image_prices",
    "provider_reported_cost",
    "inference_geo",
    "speeds",
    "image_tokens",
    "free",
)
# What a provider's own models are called (genai-prices lists Google's Claude models too).
PROVIDER_PREFIXES = {"gemini": "gemini"}
# Kinds of model igny8 has no use for (it writes text and makes images): never added.
NOT_GENERATIVE = (
    "audio",
    "realtime",
    "tts",
    "transcribe",
    "whisper",
    "embed",
    "search",
    "computer-use",
    "moderation",
    "instruct",
    "live",
    "robotics",
)


# igny8 provider name -> genai-prices provider id, where they differ.
GENAI_PROVIDERS = {"gemini": "google"}


class UnknownModel(LookupError):
    pass


def find_genai_model(provider: str, model_name: str):
    """genai-prices' entry for a model, or UnknownModel."""
    from genai_prices import data_snapshot  # optional: only `prices sync` and tests need it

    snapshot = data_snapshot.get_snapshot()
    for entry in snapshot.providers:
        if entry.id == GENAI_PROVIDERS.get(provider, provider):
            found = entry.find_model(model_name)
            if found is not None:
                return found
            break
    raise UnknownModel(f"genai-prices does not know {provider}/{model_name}")


def _rates_and_tiers(prices, keys) -> tuple[dict, list]:
    """igny8 rates and tiers from a genai-prices ModelPrice, for the genai keys given."""
    rates, tiers = {}, {}
    for genai_key in keys:
        value = getattr(prices, genai_key, None)
        if value is None:
            continue
        ours = GENAI_KEYS[genai_key]
        if hasattr(value, "tiers"):  # TieredPrices: a base and thresholds on all input
            rates[ours] = plain(Decimal(value.base))
            for tier in value.tiers:
                tiers.setdefault(tier.start, {})[ours] = plain(Decimal(tier.price))
        else:
            rates[ours] = plain(Decimal(value))
    return rates, [{"above_input_tokens": t, "rates": tiers[t]} for t in sorted(tiers)]


@dataclass(frozen=True)
class CatalogPrice:
    columns: dict  # cost_per_1k_input, cost_per_1k_cached_input, cost_per_1k_output
    pricing: dict | None


def genai_price(model_info, at: datetime, keep: dict | None = None) -> CatalogPrice:
    """igny8's price for a genai-prices model at ``at``; ``keep`` is the current structure,
    whose own parts (per-image prices, reported cost) are carried over."""
    standard = model_info.get_prices(at)
    rates, tiers = _rates_and_tiers(standard, GENAI_KEYS)
    pricing: dict = {}
    extra = {k: v for k, v in rates.items() if k not in COLUMN_KEYS}
    if extra:
        pricing["rates"] = extra
    if tiers:
        pricing["tiers"] = tiers
    service_tiers = {}
    for name, context in GENAI_CONTEXT.items():
        variant = model_info.get_prices(at, context)
        changed = [k for k in GENAI_KEYS if getattr(variant, k, None) != getattr(standard, k, None)]
        if changed:
            tier_rates, tier_tiers = _rates_and_tiers(variant, changed)
            service_tiers[name] = {
                "rates": tier_rates,
                **({"tiers": tier_tiers} if tier_tiers else {}),
            }
    if service_tiers:
        pricing["service_tiers"] = service_tiers
    # Tool fees: genai-prices' (web search) over the ones kept (web fetch, others).
    fees = dict((keep or {}).get("tool_fees") or {})
    for genai_key, tool in GENAI_TOOLS.items():
        value = getattr(standard, genai_key, None)
        if value is not None:
            fees[tool] = plain(Decimal(value))
    if fees:
        pricing["tool_fees"] = fees
    pricing.update({k: v for k, v in (keep or {}).items() if k in OWN_KEYS})
    thousand = Decimal(1000)
    columns = {
        "cost_per_1k_input": Decimal(rates.get("input", "0")) / thousand,
        "cost_per_1k_cached_input": Decimal(rates["cached_input"]) / thousand
        if "cached_input" in rates
        else None,
        "cost_per_1k_output": Decimal(rates.get("output", "0")) / thousand,
    }
    return CatalogPrice(columns, pricing or None)


def _fee(value) -> str:
    return "none" if value is None else plain(Decimal(value))


@dataclass(frozen=True)
class NewModel:
    provider: str
    model_type: str
    columns: dict  # every AIModelConfig column the model is added with


def new_models(providers, known: set[tuple[str, str]], at: datetime) -> list[NewModel]:
    """The models genai-prices knows for the installed ``providers`` (names) that the
    catalog lacks (``known``: (provider, genai model id) pairs the catalog's models match),
    with their full price, to be added inactive. Deprecated ones, kinds igny8 does not use
    (audio, embeddings, search ...) and ones without current text prices are left out."""
    from genai_prices import data_snapshot

    found = []
    by_genai_id = {GENAI_PROVIDERS.get(p, p): p for p in providers}
    for entry in data_snapshot.get_snapshot().providers:
        provider = by_genai_id.get(entry.id)
        if provider is None:
            continue
        for info in entry.models:
            name = info.id
            if (provider, name) in known or info.deprecated or _not_for_igny8(name):
                continue
            if not name.startswith(PROVIDER_PREFIXES.get(provider, "")):
                continue  # e.g. the Claude models Google also serves
            try:
                standard = info.get_prices(at)
            except Exception:  # noqa: BLE001 - no price in force at ``at``
                continue
            if getattr(standard, "input_mtok", None) is None:
                continue
            image = getattr(standard, "output_image_mtok", None) is not None or "image" in name
            if getattr(standard, "output_mtok", None) is None and not image:
                continue
            price = genai_price(info, at)
            found.append(
                NewModel(
                    provider,
                    "image" if image else "text",
                    {
                        "model_name": name,
                        "display_name": info.name or name,
                        "context_window": info.context_window,
                        **price.columns,
                        "pricing": price.pricing,
                    },
                )
            )
    return found


def _not_for_igny8(name: str) -> bool:
    return any(kind in name for kind in NOT_GENERATIVE) or ":" in name or name.endswith("-")


def _thresholds(card: PriceCard) -> set[int]:
    found = {t.above_input_tokens for t in card.base.tiers}
    for rate_set in card.service_tiers.values():
        found |= {t.above_input_tokens for t in rate_set.tiers}
    return found


def differences(current: PriceCard, proposed: PriceCard) -> list[str]:
    """Where two prices bill differently: every rate, for every service tier, below and
    above every prompt-size threshold either one has, and every tool fee. Empty when they
    bill alike."""
    found = []
    for tool in sorted(set(current.tool_fees) | set(proposed.tool_fees)):
        ours, theirs = current.tool_fees.get(tool), proposed.tool_fees.get(tool)
        if ours != theirs:
            found.append(f"tool {tool}: {_fee(ours)} -> {_fee(theirs)} per 1,000 requests")
    points = [0] + sorted(t + 1 for t in _thresholds(current) | _thresholds(proposed))
    for tier in SERVICE_TIERS:
        for tokens in points:
            ours, theirs = (rates_in_force(c, tier, tokens)[0] for c in (current, proposed))
            where = tier if tokens == 0 else f"{tier} above {tokens - 1} input tokens"
            for key in RATE_KEYS:
                if ours[key] != theirs[key]:
                    found.append(
                        f"{where}: {key} {plain(Decimal(ours[key]))} -> {plain(Decimal(theirs[key]))} per 1M"
                    )
    return found
