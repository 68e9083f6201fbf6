"""Credit maths. Pure functions; credits are integers.

A model bills credits by one of three rules, chosen per model:

- ``tokens``: ceil(all tokens / tokens_per_credit) -- text models, and image models
  priced by tokens (gpt-image-1), whose image tokens are tokens like any other;
- ``images``: credits per image by size and quality (``image_credits``, else
  ``credits_per_image``) -- dall-e-3 hd costs more credits than standard;
- ``cost``: ceil(cost in USD x credits_per_usd) -- credits follow the bill exactly.

Every rule is floored at the operation's ``min_credits``. A hold is the worst case of the
rule that applies, so a call never costs more credits than were held for it.
"""

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..ai.usage import Usage
from .pricing import Bill, PriceCard, price

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
    return math.ceil(cost_usd * rate.credits_per_usd)


def credits_for(usage: Usage, rate: CreditRate, bill: Bill | None = None) -> int:
    rule = rate.applied_rule
    if rule == "cost":
        credits = credits_from_cost(bill.total, rate)
    elif rule == "images":
        credits = usage.images * credits_per_one_image(rate, usage.image_size, usage.image_quality)
    else:
        credits = math.ceil(usage.total_tokens / rate.tokens_per_credit)
    return max(rate.min_credits, credits)


def _worst_text_usage(prompt_tokens: int, max_tokens: int) -> Usage:
    return Usage(input_tokens=prompt_tokens, output_tokens=max_tokens)


def _dearest(usage: Usage, card: PriceCard) -> Decimal:
    """The cost of ``usage`` at the dearest service tier the model declares."""
    tiers = ("standard", *card.service_tiers)
    return max(price(_with_tier(usage, t), card).total for t in tiers)


def _with_tier(usage: Usage, tier: str) -> Usage:
    return replace(usage, service_tier=tier)


def worst_case_text(
    prompt_tokens: int, max_tokens: int, rate: CreditRate, card: PriceCard | None = None
) -> int:
    if rate.applied_rule == "cost":
        worst = credits_from_cost(
            _dearest(_worst_text_usage(prompt_tokens, max_tokens), card), rate
        )
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
        usage = Usage(
            input_tokens=prompt_tokens,
            output_tokens=image_tokens,
            image_output_tokens=image_tokens,
            images=n,
            image_size=size,
            image_quality=quality,
        )
        worst = credits_from_cost(_dearest_image(usage, card), rate)
    elif rule == "tokens":
        worst = math.ceil((prompt_tokens + image_tokens) / rate.tokens_per_credit)
    else:
        worst = n * credits_per_one_image(rate, size, quality)
    return max(rate.min_credits, worst)


def _dearest_image(usage: Usage, card: PriceCard) -> Decimal:
    """With no quality named, the dearest per-image price of the size counts."""
    if usage.image_quality:
        return _dearest(usage, card)
    qualities = {
        k.split("/", 1)[1] for k in card.image_prices if k.startswith(f"{usage.image_size}/")
    }
    return max(
        [_dearest(usage, card)]
        + [_dearest(replace(usage, image_quality=q), card) for q in qualities]
    )


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
