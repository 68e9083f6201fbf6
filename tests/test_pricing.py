"""Decimal pricing and credit maths (DESIGN §4 rules 4 and 5), worked by hand."""

from decimal import Decimal as D

import pytest

from igny8.ai.usage import Usage
from igny8.billing.credits import (
    CreditRate,
    charge,
    credits_for,
    max_tokens_within,
    worst_case_images,
    worst_case_text,
)
from igny8.billing.pricing import UnitPrices, price

GPT_4O_MINI = UnitPrices(D("0.00015"), D("0.000075"), D("0.0006"))
CLAUDE_SONNET = UnitPrices(D("0.003"), D("0.0003"), D("0.015"))
DALL_E_3 = UnitPrices(image=D("0.04"))


@pytest.mark.parametrize(
    "usage, prices, expected_in, expected_out",
    [
        # OpenAI: 1,000 prompt tokens of which 400 cached; 500 completion tokens.
        # input = 600 x 0.00015/1000 + 400 x 0.000075/1000 = 0.00009 + 0.00003
        (Usage(1000, 400, 0, 500), GPT_4O_MINI, "0.00012000", "0.00030000"),
        # Anthropic: 200 fresh + 3,000 cache reads + 800 cache writes = 4,000 input.
        # uncached (fresh + writes) 1,000 x 0.003/1000 = 0.003; cached 3,000 x 0.0003/1000 = 0.0009
        (Usage(4000, 3000, 800, 1000), CLAUDE_SONNET, "0.00390000", "0.01500000"),
        # Reasoning is part of output: priced once, at the output price.
        (Usage(100, 0, 0, 2000, reasoning_tokens=1500), GPT_4O_MINI, "0.00001500", "0.00120000"),
        # Images on the output side.
        (Usage(images=3), DALL_E_3, "0.00000000", "0.12000000"),
        # No cached price: cached tokens at the input price.
        (Usage(1000, 1000, 0, 0), UnitPrices(D("0.002")), "0.00200000", "0.00000000"),
        # Rounding to 8 places, half up: 7 tokens x 0.00015/1000 = 0.00000105; 1 x 0.0000015/1000 = 1.5e-9
        (
            Usage(7, 0, 0, 1),
            UnitPrices(D("0.00015"), None, D("0.0000015")),
            "0.00000105",
            "0.00000000",
        ),
        (Usage(0, 0, 0, 1), UnitPrices(output=D("0.000005")), "0.00000000", "0.00000001"),
    ],
)
def test_price(usage, prices, expected_in, expected_out):
    cost = price(usage, prices)
    assert (format(cost.input, "f"), format(cost.output, "f")) == (expected_in, expected_out)
    assert cost.input.as_tuple().exponent == cost.output.as_tuple().exponent == -8
    assert cost.total == D(expected_in) + D(expected_out)
    assert isinstance(cost.total, D)


TEXT = CreditRate("text", tokens_per_credit=1000, credits_per_image=0, min_credits=2)
IMAGE = CreditRate("image", tokens_per_credit=1000, credits_per_image=5, min_credits=1)


@pytest.mark.parametrize(
    "usage, rate, credits",
    [
        (Usage(1000, 0, 0, 500), TEXT, 2),  # ceil(1500/1000) = 2
        (Usage(1000, 0, 0, 1001), TEXT, 3),  # ceil(2001/1000) = 3
        (Usage(10, 0, 0, 10), TEXT, 2),  # min_credits
        (Usage(3000, 2000, 0, 0), TEXT, 3),  # cached tokens count towards credits
        (Usage(images=2), IMAGE, 10),
        (Usage(images=0), IMAGE, 1),  # min_credits for a call that made nothing
        (Usage(12_000, 0, 0, 8_000), CreditRate("text", 10_000, 0, 1), 2),  # gpt-4o-mini's rate
    ],
)
def test_credits(usage, rate, credits):
    assert credits_for(usage, rate) == credits


def test_worst_case_and_cap():
    assert worst_case_text(500, 8192, TEXT) == 9  # ceil(8692 / 1000)
    assert worst_case_text(10, 10, TEXT) == 2  # min_credits
    assert worst_case_images(3, IMAGE) == 15
    # A hold of 4 credits fits 4,000 tokens: 500 of prompt leave 3,500 for output.
    assert max_tokens_within(4, 500, 8192, TEXT) == 3500
    assert max_tokens_within(40, 500, 8192, TEXT) == 8192


def test_charge_never_exceeds_the_hold():
    assert (charge(7, 9).charged, charge(7, 9).unbilled, charge(7, 9).released) == (7, 0, 2)
    assert (charge(12, 9).charged, charge(12, 9).unbilled, charge(12, 9).released) == (9, 3, 0)


def test_usage_validates_itself():
    with pytest.raises(ValueError):
        Usage(input_tokens=10, cached_input_tokens=11)
    with pytest.raises(ValueError):
        Usage(output_tokens=5, reasoning_tokens=6)
    with pytest.raises(ValueError):
        Usage(input_tokens=-1)
