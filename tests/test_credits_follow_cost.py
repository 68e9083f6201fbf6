"""Credits follow the bill: for every model of the seeded catalog and every usage the
differential generator makes (cache reads and writes, prompt-size tiers, service tiers,
speeds, geographies, web searches; image input against output), the credits charged per
USD stay within 2 % of the model's own rate -- whole credits and the operation minimum
aside (only calls worth 100 credits or more are compared, where rounding is under 1 %)."""

import random
from decimal import Decimal

from metering_support import generated_usages, model_named
from sqlalchemy import select

from igny8.ai.usage import Usage
from igny8.billing.credits import credits_for, model_rate
from igny8.billing.pricing import PriceCard, price
from igny8.extensions import db
from igny8.models import AIModelConfig

SPREAD = Decimal("0.02")


def rate_of(model):
    card = PriceCard.of(model)
    return card, model_rate(model, 1, card)


def credits_per_usd(rate, card) -> Decimal:
    """The model's own rate: what one USD of its bill is worth in credits."""
    if rate.usd_per_credit is not None:
        return 1 / rate.usd_per_credit
    if rate.credits_per_usd is not None:
        return Decimal(rate.credits_per_usd)
    return Decimal(rate.credits_per_image) / card.per_image  # the images rule


def image_usages(rng, card, n):
    sizes = sorted(card.image_prices) or sorted(card.image_tokens) or ["1024x1024"]
    for _ in range(n):
        size, _, quality = rng.choice(sizes).partition("/")
        images = rng.randint(1, 4) * rng.choice((1, 50))
        if card.image_tokens or card.base.rates.get("image_input"):  # priced by tokens
            text_in, image_in = rng.randint(10, 2_000), rng.choice((0, rng.randint(0, 60_000)))
            out = images * rng.randint(272, 6_240)
            yield Usage(
                input_tokens=text_in + image_in,
                image_input_tokens=image_in,
                output_tokens=out,
                image_output_tokens=out,
                images=images,
                image_size=size,
                image_quality=quality or None,
            )
        elif card.provider_reported_cost:
            cost = Decimal(rng.randint(8, 30)) / 10_000  # Runware's figure for one image
            yield Usage(images=images, reported_cost_usd=cost * images)
        else:
            yield Usage(images=images, image_size=size, image_quality=quality or None)


def test_every_catalog_model_charges_credits_in_proportion_to_cost(app):
    rng = random.Random(20261204)
    checked = {}
    with app.app_context():
        models = select(AIModelConfig).order_by(
            AIModelConfig.model_name
        )  # the same usages each run
        for model in db.session.execute(models).scalars():
            card, rate = rate_of(model)
            if card.free:
                continue
            own = credits_per_usd(rate, card)
            usages = (
                generated_usages(rng, card, 300)
                if model.model_type == "text"
                else image_usages(rng, card, 300)
            )
            ratios = []
            for usage in usages:
                bill = price(usage, card)
                credits = credits_for(usage, rate, bill)
                # what the call is worth in credits, unrounded (a division where the rule
                # divides: 1/usd_per_credit would carry its own rounding)
                worth = (
                    bill.total / rate.usd_per_credit
                    if rate.usd_per_credit is not None
                    else bill.total * own
                )
                if credits > rate.min_credits:  # whole credits: never a credit over
                    assert worth <= credits < worth + 1, (model.model_name, usage, credits)
                if worth >= 100:  # where whole credits are under 1 %
                    ratios.append(credits / bill.total / own)
            if ratios:
                low, high = min(ratios), max(ratios)
                assert 1 - SPREAD <= low and high <= 1 + SPREAD, (model.model_name, low, high)
            checked[model.model_name] = len(ratios)
    # every model compared call by call; the dearer ones also on calls big enough for 2 %
    assert {"gpt-5.2", "claude-opus-4-6", "gpt-image-1", "dall-e-3", "runware:97@1"} <= set(checked)
    assert sum(1 for n in checked.values() if n) >= 8, checked


def test_the_same_call_on_flex_and_priority_costs_credits_as_it_costs_dollars(app):
    with app.app_context():
        card, rate = rate_of(model_named("gpt-5.2"))
        call = dict(input_tokens=20_000, output_tokens=2_000)
        flex, priority = (
            price(Usage(**call, service_tier=tier), card) for tier in ("flex", "priority")
        )
        credits = [credits_for(Usage(**call), rate, bill) for bill in (flex, priority)]
        # once 24 credits on both; now in the ratio of the bills (whole credits aside)
        assert priority.total / flex.total == 4
        assert abs(Decimal(credits[1]) / credits[0] - 4) < Decimal("0.1")


def test_an_image_edit_heavy_on_input_earns_the_credits_its_cost_does(app):
    with app.app_context():
        card, rate = rate_of(model_named("gpt-image-1"))
        # ten images a call, so that whole credits are well under 1 %
        generation = Usage(
            input_tokens=500, output_tokens=41_600, image_output_tokens=41_600, images=10
        )
        edit = Usage(
            input_tokens=400_500,
            image_input_tokens=400_000,
            output_tokens=41_600,
            image_output_tokens=41_600,
            images=10,
        )
        per_usd = [
            credits_for(u, rate, price(u, card)) / price(u, card).total for u in (generation, edit)
        ]
        assert abs(per_usd[1] / per_usd[0] - 1) < SPREAD
