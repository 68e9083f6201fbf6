"""Credit maths. Pure functions; credits are integers.

A model bills credits by one of three rules, chosen per model:

- ``cost``: credits follow the bill: ceil(cost in USD x credits_per_usd), or, without a
  credits_per_usd of its own, ceil(cost / the price of one credit), one credit being what
  ``tokens_per_credit`` tokens cost at the model's list input and output rates averaged
  (``follow_the_bill``). The default for text models and for image models priced by
  tokens (gpt-image-1): cache reads and writes, service tiers, speeds, geographies, tool
  fees and prompt-size tiers then move credits exactly as they move the bill.
- ``tokens``: ceil(all tokens / tokens_per_credit), whatever they cost (chosen explicitly);
- ``images``: credits per image by size and quality (``image_credits``, else
  ``credits_per_image``) -- the default for per-image models (dall-e-3), whose credits
  follow their per-image prices.

Every rule is floored at the operation's ``min_credits``. A hold is the worst case of the
rule that applies, so a call never costs more credits than were held for it.
"""

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..ai.usage import Usage
from .pricing import MILLION, Bill, PriceCard, by_image_tokens, image_price, rates_in_force

CREDIT_RULES = ("tokens", "images", "cost")


@dataclass(frozen=True)
class CreditRate:
    """How a model turns usage into credits, with the operation's minimum."""

    model_type: str  # "text" | "image"
    tokens_per_credit: int
    credits_per_image: int
    min_credits: int
    rule: str | None = None  # None: "tokens" for text models, "images" for image models
    credits_per_usd: int | None = None
    image_credits: dict = field(default_factory=dict)  # "SIZE/QUALITY" or "SIZE" -> credits
    # The most output tokens one image can take (token-priced image models' worst case).
    max_image_tokens: int | None = None
    # USD one credit is worth, for the cost rule without credits_per_usd (follow_the_bill).
    usd_per_credit: Decimal | None = None

    @property
    def applied_rule(self) -> str:
        return self.rule or ("images" if self.model_type == "image" else "tokens")


def credits_per_one_image(rate: CreditRate, size: str | None, quality: str | None) -> int:
    """Credits for one image; with no quality named, the dearest quality of that size."""
    for key in (f"{size}/{quality}", f"{size}") if quality else (f"{size}",):
        if key in rate.image_credits:
            return rate.image_credits[key]
    if not quality:
        of_size = [c for k, c in rate.image_credits.items() if k.startswith(f"{size}/")]
        if of_size:
            return max(of_size)
    return rate.credits_per_image


def credits_from_cost(cost_usd: Decimal, rate: CreditRate) -> int:
    if rate.usd_per_credit is not None:  # a division: exact when the cost is whole credits
        return math.ceil(cost_usd / rate.usd_per_credit)
    return math.ceil(cost_usd * rate.credits_per_usd)


def usd_per_credit(card: PriceCard, tokens_per_credit: int) -> Decimal | None:
    """What one credit is worth for a model whose credits follow its bill: the cost of
    ``tokens_per_credit`` tokens at its list (standard, untiered) input and output rates,
    averaged (image output, for an image model priced by tokens). None when those rates
    are zero (a free model)."""
    rates, _ = rates_in_force(card, "standard", 0)
    # an image model priced by tokens bills its images' tokens: those are its output
    output = rates["image_output"] if by_image_tokens(card) else rates["output"]
    plain = (rates["input"] + output) / 2
    return plain * tokens_per_credit / MILLION if plain else None


def model_rate(model, min_credits: int, card: PriceCard | None = None) -> CreditRate:
    """How a model (a catalog row, or anything with its columns) turns usage into credits,
    as it is billed, floored at the operation's minimum."""
    rate = CreditRate(
        model.model_type,
        model.tokens_per_credit,
        model.credits_per_image,
        min_credits,
        rule=model.credit_rule,
        credits_per_usd=model.credits_per_usd,
        image_credits=model.image_credits or {},
        max_image_tokens=model.max_output_tokens if model.model_type == "image" else None,
    )
    return follow_the_bill(rate, card if card is not None else PriceCard.of(model))


def follow_the_bill(rate: CreditRate, card: PriceCard) -> CreditRate:
    """``rate`` as billed: a model without a rule of its own follows its bill when it is a
    text model or an image model priced by tokens; the cost rule without credits_per_usd
    takes the price of a credit from tokens_per_credit. Free models keep counting tokens."""
    rule = rate.rule
    if rule is None:
        follows = rate.model_type == "text" or by_image_tokens(card)
        rule = "cost" if follows else rate.applied_rule
    if rule != "cost" or rate.credits_per_usd is not None:
        return replace(rate, rule=rule)
    per_credit = usd_per_credit(card, rate.tokens_per_credit)
    if per_credit is None:
        return replace(rate, rule="images" if rate.model_type == "image" else "tokens")
    return replace(rate, rule="cost", usd_per_credit=per_credit)


def credits_for(usage: Usage, rate: CreditRate, bill: Bill | None = None) -> int:
    rule = rate.applied_rule
    if rule == "cost":
        credits = credits_from_cost(bill.total, rate)
    elif rule == "images":
        credits = usage.images * credits_per_one_image(rate, usage.image_size, usage.image_quality)
    else:
        credits = math.ceil(usage.total_tokens / rate.tokens_per_credit)
    return max(rate.min_credits, credits)


def worst_case_text(
    prompt_tokens: int, max_tokens: int, rate: CreditRate, card: PriceCard | None = None
) -> int:
    if rate.applied_rule == "cost":
        worst = credits_from_cost(card.dearest_cost(prompt_tokens, max_tokens), rate)
    else:
        worst = math.ceil((prompt_tokens + max_tokens) / rate.tokens_per_credit)
    return max(rate.min_credits, worst)


def worst_case_images(
    n: int,
    rate: CreditRate,
    *,
    size: str | None = None,
    quality: str | None = None,
    prompt_tokens: int = 0,
    card: PriceCard | None = None,
) -> int:
    rule = rate.applied_rule
    image_tokens = n * (rate.max_image_tokens or 0)
    if rule == "cost":
        tokens = card.dearest_cost(prompt_tokens, image_tokens, image_tokens)
        worst = credits_from_cost(tokens + n * _dearest_image_price(card, size, quality), rate)
    elif rule == "tokens":
        worst = math.ceil((prompt_tokens + image_tokens) / rate.tokens_per_credit)
    else:
        worst = n * credits_per_one_image(rate, size, quality)
    return max(rate.min_credits, worst)


def _dearest_image_price(card: PriceCard, size: str | None, quality: str | None) -> Decimal:
    """One image's price; with no quality named, the dearest of the size."""
    if quality:
        return image_price(card, size, quality)
    of_size = [p for k, p in card.image_prices.items() if k.startswith(f"{size}/")]
    return max([image_price(card, size, None), *of_size])


def max_tokens_within(
    hold: int, prompt_tokens: int, max_tokens: int, rate: CreditRate, card: PriceCard | None = None
) -> int:
    """The largest max_tokens (up to the asked one) whose worst case fits in ``hold`` credits."""
    if rate.applied_rule != "cost":
        return min(max_tokens, hold * rate.tokens_per_credit - prompt_tokens)

    def fits(n: int) -> bool:
        return worst_case_text(prompt_tokens, n, rate, card) <= hold

    if fits(max_tokens):
        return max_tokens
    low, high = 0, max_tokens  # fits(low) may be False: then nothing fits
    if not fits(low):
        return 0
    while high - low > 1:  # the worst case grows with max_tokens: bisect
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


@dataclass(frozen=True)
class Charge:
    hold: int  # credits held before the call
    credits: int  # what the usage is worth
    charged: int  # what is taken: never more than the hold
    unbilled: int  # the rest, shown in reports

    @property
    def released(self) -> int:
        return self.hold - self.charged


def charge(credits: int, hold: int) -> Charge:
    charged = min(credits, hold)
    return Charge(hold=hold, credits=credits, charged=charged, unbilled=credits - charged)
