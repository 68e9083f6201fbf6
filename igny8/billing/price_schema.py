"""The optional ``pricing`` structure of a model or price row: its JSON Schema, the checks
a schema cannot say (tiers in order), and the parse into a PriceCard.

    {
      "per_tokens": 1000000,                       # 1000 or 1000000 (the default)
      "rates": {"cache_write_5m": "3.75", "cache_write_1h": "6"},
      "tiers": [{"above_input_tokens": 200000,
                 "rates": {"input": "6", "cached_input": "0.6", "output": "22.5"}}],
      "service_tiers": {"flex": {"rates": {"input": "0.55", "output": "2.2"}}},
      "image_prices": {"1024x1024/standard": "0.04", "1024x1792/hd": "0.12"},
      "speeds": {"fast": {"rates": {"input": "30", "output": "150"}}},
      "inference_geo": {"us": "1.1"},              # x every token rate there
      "tool_fees": {"web_search": "10"},           # USD per 1,000 requests
      "image_tokens": {"1024x1024/high": 4160},    # output tokens per image, to estimate
      "provider_reported_cost": true,
      "free": false                                # true: costs nothing, on purpose
    }

Input, cached input and output of the base rates are the model's per-1k columns, so
``rates`` may not repeat them; tiers and service tiers may replace any rate.
"""

from decimal import Decimal, InvalidOperation

import jsonschema

from ..ai.usage import SERVICE_TIERS
from .pricing import RATE_KEYS, PriceCard, RateSet, Tier

COLUMN_RATES = ("input", "cached_input", "output")
PRICE = {"type": ["string", "number"], "pattern": r"^[0-9]+(\.[0-9]+)?$", "minimum": 0}
RATES = {
    "type": "object",
    "properties": {key: PRICE for key in RATE_KEYS},
    "additionalProperties": False,
}
TIERS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "above_input_tokens": {"type": "integer", "minimum": 0},
            "rates": {**RATES, "minProperties": 1},
        },
        "required": ["above_input_tokens", "rates"],
        "additionalProperties": False,
    },
}
# Rates (and prompt-size tiers of them) that replace the base ones: a service tier, a speed.
RATE_SET = {
    "type": "object",
    "properties": {"rates": RATES, "tiers": TIERS},
    "required": ["rates"],
    "additionalProperties": False,
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "igny8 model pricing",
    "type": "object",
    "properties": {
        "per_tokens": {"enum": [1000, 1000000]},
        "rates": {
            "type": "object",
            "properties": {key: PRICE for key in RATE_KEYS if key not in COLUMN_RATES},
            "additionalProperties": False,
        },
        "tiers": TIERS,
        "service_tiers": {
            "type": "object",
            "propertyNames": {"enum": [t for t in SERVICE_TIERS if t != "standard"]},
            "additionalProperties": RATE_SET,
        },
        "image_prices": {
            "type": "object",
            "propertyNames": {"pattern": r"^[0-9]+x[0-9]+(/[a-z_-]+)?$"},
            "additionalProperties": PRICE,
        },
        # Fees of server-side tools, USD per 1,000 requests, by tool (web_search, ...).
        "tool_fees": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-z][a-z0-9_]*$"},
            "additionalProperties": PRICE,
        },
        # Where the call ran, as a multiplier of every token rate (e.g. {"us": "1.1"}).
        "inference_geo": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-z][a-z0-9_-]*$"},
            "additionalProperties": PRICE,
        },
        # Speeds with their own rates (e.g. Anthropic's fast mode), like service tiers.
        "speeds": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-z][a-z0-9_-]*$"},
            "additionalProperties": RATE_SET,
        },
        "provider_reported_cost": {"type": "boolean"},
        # Output tokens one image takes by "SIZE/QUALITY" or "SIZE" (a token-priced image
        # model's estimate when its answer reports no usage).
        "image_tokens": {
            "type": "object",
            "propertyNames": {"pattern": r"^[0-9]+x[0-9]+(/[a-z_-]+)?$"},
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        # Said on purpose: the model costs nothing (a local or offline model). Without it a
        # model needs a price for each part it is billed for (pricing.unpriced).
        "free": {"type": "boolean"},
    },
    "additionalProperties": False,
}
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class PricingError(ValueError):
    """A pricing structure that igny8 cannot price with; the message says what and where."""


def _decimal(value, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PricingError(f"{where}: {value!r} is not a price") from None
    if not number.is_finite() or number < 0:
        raise PricingError(f"{where}: a price must be a non-negative number, not {value!r}")
    return number


def validate_pricing(pricing) -> None:
    """Raise PricingError with a readable message if ``pricing`` is not a valid structure."""
    if pricing is None:
        return
    error = jsonschema.exceptions.best_match(VALIDATOR.iter_errors(pricing))
    if error is not None:
        where = "/".join(["pricing", *(str(p) for p in error.absolute_path)])
        if error.validator in ("pattern", "minimum") and "propertyNames" not in error.schema_path:
            raise PricingError(
                f'{where}: a price must be a non-negative number such as "0.15", '
                f"not {error.instance!r}"
            )
        if error.validator == "additionalProperties" and list(error.absolute_path) == ["rates"]:
            raise PricingError(
                "pricing/rates: input, cached_input and output are the model's per-1k "
                f"prices, not part of the structure ({error.message})"
            )
        raise PricingError(f"{where}: {error.message}")
    for path, tiers in _tier_lists(pricing):
        starts = [t["above_input_tokens"] for t in tiers]
        if starts != sorted(set(starts)):
            raise PricingError(f"{path}: tiers must be in increasing order of above_input_tokens")


def _tier_lists(pricing):
    yield "pricing/tiers", pricing.get("tiers") or []
    for kind in ("service_tiers", "speeds"):
        for name, tier in (pricing.get(kind) or {}).items():
            yield f"pricing/{kind}/{name}/tiers", tier.get("tiers") or []


def parse_pricing(pricing, base_rates: dict, per_image: Decimal) -> PriceCard:
    """A PriceCard from the per-1k columns (as per-1M ``base_rates``) and the structure."""
    pricing = pricing or {}
    validate_pricing(pricing)
    scale = Decimal(1_000_000) / Decimal(pricing.get("per_tokens", 1_000_000))

    def rates(raw: dict, where: str) -> dict:
        return {k: _decimal(v, f"{where}/{k}") * scale for k, v in (raw or {}).items()}

    def tiers(raw: list, where: str) -> tuple[Tier, ...]:
        return tuple(
            Tier(t["above_input_tokens"], rates(t["rates"], f"{where}/{i}/rates"))
            for i, t in enumerate(raw or [])
        )

    base = RateSet(
        rates={**base_rates, **rates(pricing.get("rates"), "rates")},
        tiers=tiers(pricing.get("tiers"), "tiers"),
    )

    def rate_sets(kind: str) -> dict:
        return {
            name: RateSet(
                rates(spec.get("rates"), f"{kind}/{name}/rates"),
                tiers(spec.get("tiers"), f"{kind}/{name}/tiers"),
            )
            for name, spec in (pricing.get(kind) or {}).items()
        }

    def prices(kind: str) -> dict:
        return {k: _decimal(v, f"{kind}/{k}") for k, v in (pricing.get(kind) or {}).items()}

    return PriceCard(
        base=base,
        service_tiers=rate_sets("service_tiers"),
        speeds=rate_sets("speeds"),
        tool_fees=prices("tool_fees"),
        geo_multipliers=prices("inference_geo"),
        image_tokens=dict(pricing.get("image_tokens") or {}),
        per_image=per_image,
        image_prices={
            k: _decimal(v, f"image_prices/{k}")
            for k, v in (pricing.get("image_prices") or {}).items()
        },
        provider_reported_cost=bool(pricing.get("provider_reported_cost")),
        free=bool(pricing.get("free")),
    )
