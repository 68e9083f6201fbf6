"""Credit maths (DESIGN §4 rules 2 and 5). Pure functions; credits are integers."""

import math
from dataclasses import dataclass

from ..ai.usage import Usage


@dataclass(frozen=True)
class CreditRate:
    """How a model turns usage into credits, with the operation's minimum."""

    model_type: str  # "text" | "image"
    tokens_per_credit: int
    credits_per_image: int
    min_credits: int


def credits_for(usage: Usage, rate: CreditRate) -> int:
    if rate.model_type == "image":
        return max(rate.min_credits, rate.credits_per_image * usage.images)
    return max(rate.min_credits, math.ceil(usage.total_tokens / rate.tokens_per_credit))


def worst_case_text(prompt_tokens: int, max_tokens: int, rate: CreditRate) -> int:
    return max(rate.min_credits, math.ceil((prompt_tokens + max_tokens) / rate.tokens_per_credit))


def worst_case_images(n: int, rate: CreditRate) -> int:
    return max(rate.min_credits, rate.credits_per_image * n)


def max_tokens_within(hold: int, prompt_tokens: int, max_tokens: int, rate: CreditRate) -> int:
    """The largest max_tokens (up to the asked one) whose worst case fits in ``hold`` credits."""
    return min(max_tokens, hold * rate.tokens_per_credit - prompt_tokens)


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
