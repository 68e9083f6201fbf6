"""No silent zero: a model with no price for a part it is billed for is never active or
default (the admin's refusal is in test_admin.py), a plugin's unpriced model is seeded
inactive, and one reached anyway is refused before its provider is called."""

from decimal import Decimal

import pytest
from metering_support import ScriptedProvider, add_model, model_named, scripted_plugin
from sqlalchemy import update

from igny8.ai.engine import run_operation
from igny8.ai.provider import ModelSpec
from igny8.billing.pricing import PriceCard, unpriced
from igny8.extensions import db
from igny8.models import Account, AIModelConfig, CreditUsageLog, GlobalIntegrationSettings
from igny8.models.catalog import UnpricedModel
from igny8.seed import seed_models


@pytest.mark.parametrize(
    "spec, missing",
    [
        (ModelSpec("t", "text", input="1", output="2"), ()),
        (ModelSpec("t", "text", input="1"), ("output",)),
        (ModelSpec("t", "text"), ("input", "output")),
        (ModelSpec("t", "text", pricing={"free": True}), ()),
        (ModelSpec("i", "image"), ("per image",)),
        (ModelSpec("i", "image", per_image="0.04"), ()),
        (ModelSpec("i", "image", pricing={"image_prices": {"1024x1024": "0.04"}}), ()),
        (ModelSpec("i", "image", output="40"), ()),  # image output tokens at the output rate
        (ModelSpec("i", "image", pricing={"rates": {"image_output": "40"}}), ()),
    ],
)
def test_which_parts_a_model_is_billed_for_without_a_price(spec, missing):
    card = PriceCard.of(AIModelConfig(**spec.columns()))
    assert unpriced(card, spec.model_type) == missing


def test_a_model_is_not_saved_active_or_default_without_its_prices(app):
    with app.app_context():
        with pytest.raises(UnpricedModel, match="nameless has no input or output price"):
            add_model(name="nameless", price_in="0", price_out="0")
        db.session.rollback()
        kept = add_model(name="kept", price_in="0", price_out="0", is_active=False)
        db.session.commit()
        kept.is_default = True
        with pytest.raises(UnpricedModel):
            db.session.commit()
        db.session.rollback()


class UnpricedProvider(ScriptedProvider):
    name = "unpriced"
    models = (
        ModelSpec("unpriced-text", "text", "No prices yet", default=True),
        ModelSpec("priced-text", "text", "Priced", input="1", output="2"),
    )


def test_a_plugins_unpriced_model_is_seeded_inactive(app, caplog):
    with app.app_context():
        assert seed_models({"unpriced": UnpricedProvider()}) == 2
        assert "unpriced/unpriced-text has no input or output price: added inactive" in caplog.text
        unpriced_model, priced = model_named("unpriced-text"), model_named("priced-text")
        assert (unpriced_model.is_active, unpriced_model.is_default) == (False, False)
        assert priced.is_active is True
        db.session.rollback()


def test_a_model_reached_without_prices_is_refused_before_its_provider_is_called(
    app, plugins, tenant
):
    provider = ScriptedProvider()
    plugins.register(scripted_plugin(provider), "scripted_plugin")
    with app.app_context():
        model = add_model()
        GlobalIntegrationSettings.get().default_text_model = model
        db.session.commit()
        # Prices zeroed behind the ORM's back (a hand-written UPDATE, an old database).
        db.session.execute(
            update(AIModelConfig)
            .where(AIModelConfig.id == model.id)
            .values(cost_per_1k_input=Decimal(0), cost_per_1k_output=Decimal(0))
        )
        db.session.commit()
        outcome = run_operation(tenant.account_id, "echo", ["hello"])
        assert outcome.run.status == "failed"
        assert "scripted-1 has no input or output price" in outcome.run.error
        assert provider.calls == []  # refused before the provider was called
        assert db.session.query(CreditUsageLog).count() == 0
        assert db.session.get(Account, tenant.account_id).credits == 1000


def test_prices_sync_says_which_model_it_would_leave_unpriced_and_changes_nothing(app, monkeypatch):
    from igny8.billing import price_sync
    from igny8.cli import prices

    real = price_sync.genai_price

    def no_output_price(info, at, keep=None):  # as if genai-prices lost a model's output price
        found = real(info, at, keep)
        if info.id == "gpt-4o":
            found.columns["cost_per_1k_output"] = Decimal(0)
        return found

    monkeypatch.setattr(prices, "genai_price", no_output_price)
    with app.app_context():
        before = model_named("gpt-4o").cost_per_1k_output
    result = app.test_cli_runner().invoke(args=["igny8", "prices", "sync"])
    assert result.exit_code == 1
    assert "gpt-4o has no output price, so it cannot be active or default" in result.output
    assert "nothing was changed" in result.output
    with app.app_context():
        assert model_named("gpt-4o").cost_per_1k_output == before
