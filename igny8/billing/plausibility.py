"""What one provider call can plausibly have used. Pure.

A usage report beyond these bounds is a provider's or a plugin's error (a response that
claims 10^15 tokens), not a bill: the meter settles such a call at its hold, records its
own count of the call instead, keeps the claim in ``raw_usage`` and flags the row
``implausible_usage`` (docs/metering.md). The defaults are far above any model of today:
the longest context windows take about 10M tokens, and a call costs at most a few
hundred dollars.
"""

from dataclasses import dataclass, fields
from decimal import Decimal

from ..ai.usage import Usage
from .pricing import Bill

# The Usage counts each bound applies to (every token count, and the images).
TOKEN_FIELDS = tuple(
    f.name for f in fields(Usage) if f.type in (int, "int") and f.name.endswith("tokens")
)


@dataclass(frozen=True)
class Plausible:
    tokens: int = 20_000_000  # any one token count of a call
    images: int = 1_000
    usd: Decimal = Decimal("10000")  # the call's cost, or any part of it

    @classmethod
    def from_config(cls, config) -> "Plausible":
        return cls(
            tokens=config["PLAUSIBLE_CALL_TOKENS"],
            images=config["PLAUSIBLE_CALL_IMAGES"],
            usd=Decimal(str(config["PLAUSIBLE_CALL_USD"])),
        )


def doubt(usage: Usage, bill: Bill, bounds: Plausible) -> str | None:
    """Why ``usage`` (priced as ``bill``) cannot be one call's, or None when it can be."""
    for name in TOKEN_FIELDS:
        value = getattr(usage, name)
        if value > bounds.tokens:
            return f"{name} {value:,} is more than one call can use ({bounds.tokens:,})"
    if usage.images > bounds.images:
        return f"{usage.images:,} images is more than one call makes ({bounds.images:,})"
    parts = (bill.total, bill.catalog_total, bill.input, bill.cached, bill.cache_write)
    dearest = max((*parts, bill.output, bill.images))
    if dearest > bounds.usd:
        return f"a cost of {dearest:,.2f} USD is more than one call costs ({bounds.usd:,} USD)"
    return None
