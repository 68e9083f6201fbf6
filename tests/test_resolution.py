"""The resolution cascade (DESIGN §4 rule 1): each level wins in turn."""

from types import SimpleNamespace

import pytest
from metering_support import add_model, model_named

from igny8.ai.engine import OperationContext
from igny8.ai.resolve import NoModelAvailable, resolve_model, resolve_parameters
from igny8.extensions import db
from igny8.models import (
    Account,
    CreditCostConfig,
    GlobalIntegrationSettings,
    IntegrationSettings,
)
from igny8.registry import Operation


def m(name, active=True, kind="text"):
    return SimpleNamespace(model_name=name, is_active=active, model_type=kind)


ALL = {
    "task": m("t"),
    "account": m("a"),
    "operation": m("o"),
    "global": m("g"),
    "system_default": m("s"),
}


@pytest.mark.parametrize(
    "missing, winner",
    [
        ((), "task"),
        (("task",), "account"),
        (("task", "account"), "operation"),
        (("task", "account", "operation"), "global"),
        (("task", "account", "operation", "global"), "system_default"),
    ],
)
def test_each_level_wins_in_turn(missing, winner):
    candidates = {k: (None if k in missing else v) for k, v in ALL.items()}
    resolution = resolve_model("text", candidates, allows_overrides=True)
    assert resolution.resolved_by == winner
    assert resolution.model is ALL[winner]
    outcomes = [s.outcome for s in resolution.steps]
    assert outcomes.count("chosen") == 1 and outcomes[-1] in ("chosen", "not_reached")


def test_inactive_and_wrong_type_models_are_skipped():
    candidates = {**ALL, "task": m("t", active=False), "account": m("a", kind="image")}
    resolution = resolve_model("text", candidates, allows_overrides=True)
    assert resolution.resolved_by == "operation"
    assert [s.outcome for s in resolution.steps[:2]] == ["inactive", "wrong_type"]


def test_account_override_ignored_on_a_plan_without_overrides():
    resolution = resolve_model("text", {**ALL, "task": None}, allows_overrides=False)
    assert resolution.resolved_by == "operation"
    assert resolution.steps[1].outcome == "plan_forbids_override"


def test_nothing_active_anywhere():
    with pytest.raises(NoModelAvailable):
        resolve_model("text", {"global": m("g", active=False)}, allows_overrides=True)


def test_parameters_account_over_global_on_paid_plans_only():
    settings = SimpleNamespace(
        default_temperature=0.7,
        default_max_tokens=8192,
        default_image_size="1024x1024",
        default_image_quality="standard",
        default_image_style="vivid",
    )
    paid = resolve_parameters(settings, {"temperature": 0.2, "max_tokens": None}, True)
    assert (paid.temperature, paid.max_tokens) == (0.2, 8192)
    assert (paid.source("temperature"), paid.source("max_tokens")) == ("account", "global")
    free = resolve_parameters(settings, {"temperature": 0.2}, False)
    assert free.temperature == 0.7 and free.source("temperature") == "global"


OPERATION = Operation("clustering", module="clustering", model_type="text", title="Clustering")


def resolve_for(account_id, override=None):
    account = db.session.get(Account, account_id)
    cost = db.session.query(CreditCostConfig).filter_by(operation="clustering").one()
    ctx = OperationContext(
        account=account,
        site_id=None,
        run_id=None,
        operation=OPERATION,
        cost_config=cost,
        meter=None,
    )
    return ctx.choice(override)


def test_cascade_from_the_database(app, make_tenant):
    paid, free = make_tenant(plan="starter"), make_tenant(plan="free")
    with app.app_context():
        # Nothing configured: the is_default text model decides.
        assert (
            resolve_for(paid.account_id).model_name,
            resolve_for(paid.account_id).resolved_by,
        ) == ("gpt-4o-mini", "system_default")
        settings = GlobalIntegrationSettings.get()
        settings.default_text_model = model_named("gpt-4.1")
        db.session.commit()
        assert resolve_for(paid.account_id).resolved_by == "global"
        db.session.query(CreditCostConfig).filter_by(
            operation="clustering"
        ).one().default_model = model_named("gpt-4o")
        db.session.commit()
        assert resolve_for(paid.account_id).model_name == "gpt-4o"
        for tenant in (paid, free):
            db.session.add(
                IntegrationSettings(
                    account_id=tenant.account_id, text_model=model_named("claude-sonnet-4-6")
                )
            )
        db.session.commit()
        assert resolve_for(paid.account_id).model_name == "claude-sonnet-4-6"
        assert resolve_for(free.account_id).model_name == "gpt-4o"  # free plan: override ignored
        task_model = add_model("task-model", provider="offline")
        db.session.commit()
        choice = resolve_for(paid.account_id, task_model)
        assert (choice.model_name, choice.resolved_by) == ("task-model", "task")
        # An inactive account model is skipped.
        model_named("claude-sonnet-4-6").is_active = False
        db.session.commit()
        assert resolve_for(paid.account_id).resolved_by == "operation"
