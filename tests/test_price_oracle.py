"""igny8's prices against an oracle it did not type: the genai-prices database.

A differential test prices generated usages (random token mixes: cached reads, cache
writes of both TTLs, reasoning, below and above every prompt-size tier, every service
tier the model declares, web searches and inference geographies) with both, for every text model of the seeded catalog that
genai-prices knows, and requires the same cost to 1e-8 USD. `prices sync` is tested
against the same database."""

import random
from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
from metering_support import CATALOG_TEXT_MODELS, generated_usages, model_named
from sqlalchemy import func, select

from igny8.ai.usage import Usage
from igny8.billing.price_sync import GENAI_CONTEXT, UnknownModel, find_genai_model
from igny8.billing.pricing import PriceCard, price
from igny8.extensions import db
from igny8.models import AIModelConfig, ModelPrice

USAGES_PER_MODEL = 240
TOLERANCE = Decimal("0.00000001")


def oracle(model: AIModelConfig, usage: Usage, at: datetime, card: PriceCard) -> Decimal:
    """genai-prices' price; it has no inference geography, so a geography's multiplier
    (of every token rate, not of tool fees) is applied to its token part."""
    context = GENAI_CONTEXT.get(usage.service_tier)
    searches = usage.tool_requests.get("web_search", 0)

    def calc(web_searches):
        return genai_prices.calc_price(
            genai_prices.Usage(
                input_tokens=usage.input_tokens,
                cache_read_tokens=usage.cached_input_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                cache_write_1h_tokens=usage.cache_write_1h_tokens,
                output_tokens=usage.output_tokens,
                web_searches=web_searches,
            ),
            model.model_name,
            provider_id=model.provider,
            genai_request_timestamp=at,
            price_context=context,
        ).total_price

    tokens = calc(0)
    fees = calc(searches) - tokens
    return tokens * card.geo_multipliers.get(usage.inference_geo, Decimal(1)) + fees


def compare_with_oracle(app, rng) -> dict:
    """Price every text model of the catalog that genai-prices knows, both ways; returns
    the models compared."""
    at = datetime.now(tz=UTC)
    compared, searched, placed = {}, 0, 0
    with app.app_context():
        models = db.session.execute(
            select(AIModelConfig)
            .where(AIModelConfig.model_type == "text")
            .order_by(AIModelConfig.model_name)
        ).scalars()
        for model in models:
            try:
                find_genai_model(model.provider, model.model_name)
            except UnknownModel:
                continue
            card = PriceCard.of(model)
            for usage in generated_usages(rng, card, USAGES_PER_MODEL):
                ours, theirs = price(usage, card).total, oracle(model, usage, at, card)
                assert abs(ours - theirs) <= TOLERANCE, (model.model_name, usage, ours, theirs)
            compared[model.model_name] = USAGES_PER_MODEL
            searched += "web_search" in card.tool_fees
            placed += bool(card.geo_multipliers)
    assert searched >= 5 and placed >= 2  # tool fees and geographies were compared
    return compared


def test_every_known_text_model_prices_like_genai_prices(app):
    compared = compare_with_oracle(app, random.Random(20261201))
    # Every text model a provider plugin brings is known to the oracle, the offline one aside.
    assert set(compared) == CATALOG_TEXT_MODELS


def sync(app, *args):
    return app.test_cli_runner().invoke(args=["igny8", "prices", "sync", *args])


def price_rows(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(ModelPrice.id))).scalar()


def test_sync_on_a_fresh_catalog_finds_no_differences(app):
    before = price_rows(app)
    result = sync(app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "no differences; 0 kept as an admin set them; 4 unknown to genai-prices" in result.output
    assert price_rows(app) == before


def test_sync_corrects_a_stale_plugin_price_as_a_new_price_row(app):
    with app.app_context():
        db.session.info["igny8_price_source"] = "plugin"  # as an older plugin version seeded it
        model_named("gpt-4o").cost_per_1k_output = Decimal("0.012")
        db.session.commit()
        db.session.info.pop("igny8_price_source")
    before = price_rows(app)
    dry = sync(app, "--dry-run")
    assert "openai/gpt-4o:\n  standard: output 12 -> 10 per 1M" in dry.output
    assert "would change 1 model(s)" in dry.output and price_rows(app) == before
    result = sync(app)
    assert result.exit_code == 0 and "changed 1 model(s)" in result.output
    with app.app_context():
        model = model_named("gpt-4o")
        assert model.cost_per_1k_output == Decimal("0.01")
        newest = model.prices[-1]
        assert (newest.source, newest.cost_per_1k_output) == ("sync", Decimal("0.01"))
        # the priority and batch prices came along, unchanged
        assert model.pricing["service_tiers"]["priority"]["rates"]["output"] == "17"
    assert price_rows(app) == before + 1
    assert "no differences" in sync(app, "--dry-run").output


def test_sync_keeps_an_admins_prices_unless_forced(app):
    with app.app_context():
        model_named("claude-haiku-4-5").cost_per_1k_input = Decimal("0.002")  # an admin's edit
        db.session.commit()
    result = sync(app)
    assert "anthropic/claude-haiku-4-5: kept (an admin set these prices" in result.output
    assert "would be standard: input 2 -> 1 per 1M" in result.output
    with app.app_context():
        assert model_named("claude-haiku-4-5").cost_per_1k_input == Decimal("0.002")
    forced = sync(app, "--force")
    assert "changed 1 model(s)" in forced.output
    with app.app_context():
        assert model_named("claude-haiku-4-5").cost_per_1k_input == Decimal("0.001")


def test_sync_adds_the_models_genai_prices_knows_inactive_and_they_price_alike(app):
    dry = sync(app, "--add-new", "--dry-run")
    assert dry.exit_code == 0, dry.output
    listed = [line for line in dry.output.splitlines() if line.startswith("would add ")]
    # what the built-in catalogs lack (theirs is the current generation), with tool fees
    for name in (
        "openai/gpt-5.3",
        "openai/gpt-6-astra",
        "openai/gpt-image-2",
        "gemini/gemini-3.8-flash",
    ):
        assert any(line.startswith(f"would add {name} (") for line in listed), name
    assert "openai/gpt-4o-transcribe" not in dry.output  # not a kind igny8 uses
    assert "gemini/claude" not in dry.output  # Google's Claude models are Anthropic's
    with app.app_context():
        before = db.session.execute(select(func.count(AIModelConfig.id))).scalar()
    real = sync(app, "--add-new")
    assert real.exit_code == 0, real.output
    with app.app_context():
        added = (
            db.session.execute(
                select(AIModelConfig).where(AIModelConfig.id > 0).order_by(AIModelConfig.id)
            )
            .scalars()
            .all()[before:]
        )
        assert len(added) == len(listed) and not any(m.is_active or m.is_default for m in added)
        astra = model_named("gpt-6-astra")
        assert astra.pricing["tool_fees"] == {"web_search": "10"}
        assert astra.prices[0].source == "sync" and astra.provider == "openai"
        assert model_named("gemini-3.8-flash").provider == "gemini"  # genai-prices' "google"
        assert ModelPrice.query.count() >= before + len(added)
    # the oracle agrees with every text model now in the catalog, the new ones included
    compared = compare_with_oracle(app, random.Random(20261204))
    assert {"gpt-5.3", "gpt-6-astra", "gemini-3.8-flash", "claude-sonnet-5"} <= set(compared)
    assert sync(app, "--add-new", "--dry-run").output.count("would add ") == 1  # the summary
