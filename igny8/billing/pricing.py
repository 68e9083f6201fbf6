"""Pricing in Decimal (DESIGN §4 rule 4). Pure functions."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..ai.usage import Usage

USD_PLACES = Decimal("0.00000001")
THOUSAND = Decimal(1000)
ZERO = Decimal(0)


@dataclass(frozen=True)
class UnitPrices:
    """USD per 1k tokens and per image. cached_input None means "the input price"."""

    input: Decimal = ZERO
    cached_input: Decimal | None = None
    output: Decimal = ZERO
    image: Decimal = ZERO

    @property
    def effective_cached_input(self) -> Decimal:
        return self.input if self.cached_input is None else self.cached_input

    @classmethod
    def of(cls, row) -> "UnitPrices":
        """From anything with cost_per_1k_* and cost_per_image (a model or a price row)."""
        return cls(
            input=Decimal(row.cost_per_1k_input or 0),
            cached_input=None
            if row.cost_per_1k_cached_input is None
            else Decimal(row.cost_per_1k_cached_input),
            output=Decimal(row.cost_per_1k_output or 0),
            image=Decimal(row.cost_per_image or 0),
        )


@dataclass(frozen=True)
class Cost:
    input: Decimal
    output: Decimal

    @property
    def total(self) -> Decimal:
        return self.input + self.output


def usd(value: Decimal) -> Decimal:
    return value.quantize(USD_PLACES, rounding=ROUND_HALF_UP)


def price(usage: Usage, prices: UnitPrices) -> Cost:
    """Uncached input at the input price, cached input at the cached price (both per 1k);
    output per 1k plus images on the output side; each side rounded to 8 places."""
    uncached = usage.input_tokens - usage.cached_input_tokens
    input_cost = (
        uncached * prices.input + usage.cached_input_tokens * prices.effective_cached_input
    ) / THOUSAND
    output_cost = usage.output_tokens * prices.output / THOUSAND + usage.images * prices.image
    return Cost(input=usd(input_cost), output=usd(output_cost))
