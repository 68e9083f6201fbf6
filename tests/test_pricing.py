"""Decimal pricing and credit maths, worked by hand: one case per pricing shape."""

from decimal import Decimal as D
from types import SimpleNamespace

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
from igny8.billing.price_schema import PricingError, validate_pricing
from igny8.billing.pricing import PriceCard, price


def card(input="0", cached=None, output="0", per_image="0", pricing=None) -> PriceCard:
    """A price card from per-1M prices, through the same columns a model keeps (per 1k)."""
    row = SimpleNamespace(
        cost_per_1k_input=D(input) / 1000,
        cost_per_1k_cached_input=None if cached is None else D(cached) / 1000,
        cost_per_1k_output=D(output) / 1000,
        cost_per_image=D(per_image),
        pricing=pricing,
    )
    return PriceCard.of(row)


GPT_4O_MINI = card("0.15", "0.075", "0.6")
# claude-sonnet-4-5 at list prices: cache writes 1.25x (5 min) and 2x (1 h) input,
# reads 0.1x; above 200k input tokens every rate switches.
SONNET_4_5 = card(
    "3",
    "0.3",
    "15",
    pricing={
        "rates": {"cache_write_5m": "3.75", "cache_write_1h": "6"},
        "tiers": [
            {
                "above_input_tokens": 200_000,
                "rates": {
                    "input": "6",
                    "cached_input": "0.6",
                    "cache_write_5m": "7.5",
                    "cache_write_1h": "12",
                    "output": "22.5",
                },
            }
        ],
    },
)
DALL_E_3 = card(
    per_image="0.04",
    pricing={"image_prices": {"1024x1024/standard": "0.04", "1024x1792/hd": "0.12"}},
)
GPT_IMAGE_1 = card(
    "5",
    "1.25",
    "40",
    pricing={"rates": {"image_input": "10", "cached_image_input": "2.5", "image_output": "40"}},
)
O4_MINI = card(
    "1.1",
    "0.275",
    "4.4",
    pricing={
        "service_tiers": {
            "flex": {"rates": {"input": "0.55", "cached_input": "0.138", "output": "2.2"}}
        }
    },
)
RUNWARE = card(per_image="0.012", pricing={"provider_reported_cost": True})


def parts(bill):
    return tuple(
        format(v, "f")
        for v in (bill.input, bill.cached, bill.cache_write, bill.output, bill.images)
    )


def test_openai_cached_text():
    # 1,000 prompt tokens of which 400 cached; 500 completion tokens.
    # 600 x 0.15/1M = 0.00009; 400 x 0.075/1M = 0.00003; 500 x 0.6/1M = 0.0003
    bill = price(Usage(1000, 400, 0, 500), GPT_4O_MINI)
    assert parts(bill) == ("0.00009000", "0.00003000", "0.00000000", "0.00030000", "0.00000000")
    assert bill.total == D("0.00042") and bill.tier == "standard"


def test_anthropic_cache_writes_by_ttl():
    # 1,000 fresh + 20,000 cache reads + 4,000 cache writes = 25,000 input; 2,000 output.
    # fresh 1,000 x 3/1M = 0.003; reads 20,000 x 0.3/1M = 0.006; output 2,000 x 15/1M = 0.03
    five_minutes = Usage(25_000, 20_000, 4_000, 2_000)
    # 5-minute writes: 4,000 x 3.75/1M = 0.015 -> 0.054 (list price; the input price gave 0.051)
    assert price(five_minutes, SONNET_4_5).cache_write == D("0.015")
    assert price(five_minutes, SONNET_4_5).total == D("0.054")
    # 1-hour writes: 4,000 x 6/1M = 0.024 -> 0.063
    one_hour = Usage(25_000, 20_000, 4_000, 2_000, cache_write_1h_tokens=4_000)
    assert price(one_hour, SONNET_4_5).total == D("0.063")
    # Mixed: 1,000 of the 4,000 for an hour: 3,000 x 3.75/1M + 1,000 x 6/1M = 0.01725
    mixed = Usage(25_000, 20_000, 4_000, 2_000, cache_write_1h_tokens=1_000)
    assert price(mixed, SONNET_4_5).cache_write == D("0.01725")


def test_long_context_tier_switches_every_rate():
    # 250,000 input tokens, 4,000 output: 250,000 x 6/1M + 4,000 x 22.5/1M = 1.5 + 0.09
    bill = price(Usage(250_000, 0, 0, 4_000), SONNET_4_5)
    assert bill.total == D("1.59")
    assert bill.tier == "standard, above 200000 input tokens"
    assert bill.rates["input"] == "6" and bill.rates["cache_write_1h"] == "12"
    # Cached and cache-write tokens count towards the threshold and switch too:
    # 150,000 reads x 0.6 + 60,000 writes x 7.5 + 1,000 fresh x 6 = 0.09 + 0.45 + 0.006
    bill = price(Usage(211_000, 150_000, 60_000, 0), SONNET_4_5)
    assert (bill.cached, bill.cache_write, bill.input) == (D("0.09"), D("0.45"), D("0.006"))
    # At exactly 200,000 the base rates apply; one token more and the tier does.
    assert price(Usage(200_000), SONNET_4_5).total == D("0.6")
    assert price(Usage(200_001), SONNET_4_5).total == D("1.200006")


def test_per_image_prices_by_size_and_quality():
    hd_tall = Usage(images=1, image_size="1024x1792", image_quality="hd")
    assert price(hd_tall, DALL_E_3).total == D("0.12")
    assert price(hd_tall, DALL_E_3).images == D("0.12")
    standard = Usage(images=2, image_size="1024x1024", image_quality="standard")
    assert price(standard, DALL_E_3).total == D("0.08")
    # A size the structure does not list: the model's per-image price.
    assert price(Usage(images=1, image_size="512x512"), DALL_E_3).total == D("0.04")


@pytest.mark.parametrize(
    "image_tokens, expected",
    [
        # 50 text input x 5/1M = 0.00025; 4,160 image output x 40/1M = 0.1664
        (4160, "0.16665"),
        # 272 x 40/1M = 0.01088
        (272, "0.01113"),
    ],
)
def test_token_priced_images(image_tokens, expected):
    usage = Usage(
        input_tokens=50, output_tokens=image_tokens, image_output_tokens=image_tokens, images=1
    )
    bill = price(usage, GPT_IMAGE_1)
    assert bill.total == D(expected)
    assert bill.input == D("0.00025") and bill.images == D(expected) - D("0.00025")


def test_image_input_tokens_cached_and_fresh():
    # 1,000 input: 200 text, 800 image of which 300 cached. 300 x 2.5 + 500 x 10 + 200 x 5 (per 1M)
    usage = Usage(
        input_tokens=1000,
        cached_input_tokens=300,
        image_input_tokens=800,
        cached_image_input_tokens=300,
    )
    bill = price(usage, GPT_IMAGE_1)
    assert (bill.input, bill.cached, bill.images) == (D("0.001"), D("0"), D("0.00575"))


def test_service_tier_read_from_the_response():
    standard = price(Usage(1000, 0, 0, 2000), O4_MINI)
    flex = price(Usage(1000, 0, 0, 2000, service_tier="flex"), O4_MINI)
    # 1,000 x 1.1/1M + 2,000 x 4.4/1M = 0.0099; flex is half
    assert (standard.total, flex.total) == (D("0.0099"), D("0.00495"))
    assert flex.tier == flex.service_tier == "flex"
    # A flex cached read: 0.138/1M
    assert price(Usage(1000, 1000, 0, 0, service_tier="flex"), O4_MINI).cached == D("0.000138")


def test_unknown_service_tier_is_priced_standard_and_flagged():
    bill = price(Usage(1000, 0, 0, 2000, service_tier="scale"), O4_MINI)
    assert bill.total == D("0.0099") and bill.service_tier == "standard"
    assert bill.note == "unknown service tier 'scale': priced standard"
    bill = price(Usage(1000, 0, 0, 0, service_tier="priority"), O4_MINI)
    assert bill.note == "no priority prices for this model: priced standard"


def test_provider_reported_cost_is_the_cost():
    bill = price(Usage(images=1, reported_cost_usd=D("0.0013")), RUNWARE)
    assert bill.total == D("0.0013") and bill.reported == D("0.0013")
    assert bill.catalog_total == D("0.012")  # kept beside it
    # No reported figure: the catalog price.
    assert price(Usage(images=1), RUNWARE).total == D("0.012")
    # A model that does not trust reported costs ignores them.
    assert price(Usage(images=1, reported_cost_usd=D("9")), DALL_E_3).total == D("0.04")


def test_reasoning_output_rate():
    priced = card("1", None, "4", pricing={"rates": {"reasoning_output": "8"}})
    # 1,000 output of which 600 reasoning: 400 x 4/1M + 600 x 8/1M = 0.0016 + 0.0048
    assert price(Usage(0, 0, 0, 1000, reasoning_tokens=600), priced).output == D("0.0064")
    # Without a reasoning rate, reasoning is output like any other.
    assert price(Usage(0, 0, 0, 1000, reasoning_tokens=600), GPT_4O_MINI).output == D("0.0006")


def test_rounding_once_and_parts_add_up():
    # 7 x 0.15/1M = 0.00000105; 1 x 0.0015/1M = 1.5e-9: the total rounds once, half up.
    tiny = card("0.15", None, "0.0015")
    bill = price(Usage(7, 0, 0, 1), tiny)
    assert bill.total == D("0.00000105")
    # Three parts of 0.4e-8 each: separately rounded they would sum to 0; the total is 1e-8.
    thirds = card("0.004", "0.004", "0.004")
    bill = price(Usage(2, 1, 0, 1), thirds)
    assert bill.total == D("0.00000001")
    assert bill.input + bill.cached + bill.cache_write + bill.output + bill.images == bill.total
    for value in (bill.total, bill.input, bill.output):
        assert value.as_tuple().exponent == -8


def test_per_1k_structure():
    per_1k = card(
        "0", None, "0", pricing={"per_tokens": 1000, "rates": {"cache_write_5m": "0.00375"}}
    )
    assert price(Usage(4000, 0, 4000, 0), per_1k).cache_write == D("0.015")


@pytest.mark.parametrize(
    "pricing, message",
    [
        ({"rates": {"cache_write_5m": "-1"}}, "pricing/rates/cache_write_5m"),
        ({"rates": {"input": "3"}}, "per-1k prices"),
        ({"per_tokens": 10}, "per_tokens"),
        ({"surprise": 1}, "surprise"),
        (
            {
                "tiers": [
                    {"above_input_tokens": 200_000, "rates": {"input": "6"}},
                    {"above_input_tokens": 100_000, "rates": {"input": "5"}},
                ]
            },
            "increasing order",
        ),
        ({"service_tiers": {"turbo": {"rates": {"input": "1"}}}}, "turbo"),
        ({"image_prices": {"big/hd": "1"}}, "big/hd"),
        ({"tiers": [{"above_input_tokens": 5, "rates": {}}]}, "pricing/tiers/0/rates"),
    ],
)
def test_invalid_pricing_is_refused_clearly(pricing, message):
    with pytest.raises(PricingError, match=message):
        validate_pricing(pricing)


TEXT = CreditRate("text", tokens_per_credit=1000, credits_per_image=0, min_credits=2)
IMAGE = CreditRate("image", tokens_per_credit=1000, credits_per_image=5, min_credits=1)
DALL_E_CREDITS = CreditRate(
    "image",
    1000,
    5,
    1,
    image_credits={"1024x1024/standard": 5, "1024x1024/hd": 10, "1024x1792/hd": 15},
)
IMAGE_TOKENS = CreditRate("image", 200, 0, 1, rule="tokens", max_image_tokens=6240)
BY_COST = CreditRate("text", 1000, 0, 1, rule="cost", credits_per_usd=125)


@pytest.mark.parametrize(
    "usage, rate, credits",
    [
        (Usage(1000, 0, 0, 500), TEXT, 2),  # ceil(1500/1000) = 2
        (Usage(1000, 0, 0, 1001), TEXT, 3),  # ceil(2001/1000) = 3
        (Usage(10, 0, 0, 10), TEXT, 2),  # min_credits
        (Usage(3000, 2000, 0, 0), TEXT, 3),  # cached tokens count towards credits
        (Usage(images=2), IMAGE, 10),
        (Usage(images=0), IMAGE, 1),  # min_credits for a call that made nothing
        (Usage(12_000, 0, 0, 8_000), CreditRate("text", 10_000, 0, 1), 2),
        # dall-e-3: hd costs more credits than standard, by size
        (Usage(images=1, image_size="1024x1024", image_quality="standard"), DALL_E_CREDITS, 5),
        (Usage(images=1, image_size="1024x1024", image_quality="hd"), DALL_E_CREDITS, 10),
        (Usage(images=2, image_size="1024x1792", image_quality="hd"), DALL_E_CREDITS, 30),
        # gpt-image-1 from tokens: (50 + 4,160) / 200 -> 22; (50 + 272) / 200 -> 2
        (Usage(50, 0, 0, 4160, image_output_tokens=4160, images=1), IMAGE_TOKENS, 22),
        (Usage(50, 0, 0, 272, image_output_tokens=272, images=1), IMAGE_TOKENS, 2),
    ],
)
def test_credits(usage, rate, credits):
    assert credits_for(usage, rate) == credits


def test_credits_from_cost():
    # o4-mini standard 0.0099 USD x 125 = 1.2375 -> 2 credits; 0.00495 x 125 -> 1
    standard = price(Usage(1000, 0, 0, 2000), O4_MINI)
    assert credits_for(Usage(1000, 0, 0, 2000), BY_COST, standard) == 2
    flex = price(Usage(1000, 0, 0, 2000, service_tier="flex"), O4_MINI)
    assert credits_for(Usage(1000, 0, 0, 2000), BY_COST, flex) == 1
    # sonnet-4-5 long context 1.59 USD -> ceil(198.75) = 199
    long = price(Usage(250_000, 0, 0, 4_000), SONNET_4_5)
    assert credits_for(Usage(250_000, 0, 0, 4_000), BY_COST, long) == 199


def test_worst_cases_and_caps():
    assert worst_case_text(500, 8192, TEXT) == 9  # ceil(8692 / 1000)
    assert worst_case_text(10, 10, TEXT) == 2  # min_credits
    assert worst_case_images(3, IMAGE) == 15
    # Images: the size and quality asked for; with no quality, the dearest of the size.
    assert worst_case_images(2, DALL_E_CREDITS, size="1024x1024", quality="standard") == 10
    assert worst_case_images(1, DALL_E_CREDITS, size="1024x1024") == 10
    # Token-priced images: prompt + the most tokens an image can take, per image.
    assert worst_case_images(2, IMAGE_TOKENS, prompt_tokens=40) == 63  # ceil(12,520/200)
    # Cost rule: the dearest service tier, above-tier rates when the prompt is past it.
    # 1,000 in + 2,000 out on o4-mini standard = 0.0099 -> 2 credits
    assert worst_case_text(1000, 2000, BY_COST, O4_MINI) == 2
    # 250,000 + 4,000 on sonnet-4-5 = 1.59 -> 199
    assert worst_case_text(250_000, 4000, BY_COST, SONNET_4_5) == 199
    # A hold of 4 credits fits 4,000 tokens: 500 of prompt leave 3,500 for output.
    assert max_tokens_within(4, 500, 8192, TEXT) == 3500
    assert max_tokens_within(40, 500, 8192, TEXT) == 8192
    # Cost rule: 1 credit = 0.008 USD: 1,000 prompt (0.0011) leaves 0.0069 -> 1,568 tokens at 4.4/1M
    assert max_tokens_within(1, 1000, 8192, BY_COST, O4_MINI) == 1568
    assert worst_case_text(1000, 1568, BY_COST, O4_MINI) == 1
    assert worst_case_text(1000, 1569, BY_COST, O4_MINI) == 2


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
    with pytest.raises(ValueError):
        Usage(input_tokens=10, cache_write_tokens=5, cache_write_1h_tokens=6)
    with pytest.raises(ValueError):
        Usage(output_tokens=10, reasoning_tokens=6, image_output_tokens=5)
    with pytest.raises(ValueError):
        Usage(images=1, reported_cost_usd=D("-0.01"))


def test_one_precision_for_usd_in_pricing_reports_and_storage():
    """USD_PLACES is the one constant for an amount's precision; it must be the Money
    columns' scale, or a stored cost would be rounded differently from a priced one."""
    from decimal import Decimal

    from igny8.billing.pricing import USD_PLACES
    from igny8.models.base import Money

    assert USD_PLACES == Decimal(1).scaleb(-Money.scale) == Decimal("0.00000001")
