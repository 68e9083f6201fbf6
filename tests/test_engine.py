"""The metering engine end to end (DESIGN §4): hold, call, usage, price, settle, log."""

from decimal import Decimal

import pytest
from metering_support import ScriptedProvider, add_model, ledger_rows, scripted_plugin
from sqlalchemy import func, select

from igny8 import hookimpl, modules
from igny8.ai.engine import IdempotencyConflict, OperationRefused, run_operation
from igny8.ai.provider import ProviderError
from igny8.ai.usage import Usage
from igny8.billing import audit
from igny8.extensions import db
from igny8.models import (
    Account,
    CreditUsageLog,
    GlobalIntegrationSettings,
    Keyword,
    OperationRun,
)
from igny8.registry import Operation


@pytest.fixture
def provider(app, plugins):
    """The scripted provider, its model as the global default text model, a 1,000-token prompt budget."""
    scripted = ScriptedProvider()
    plugins.register(scripted_plugin(scripted), "scripted_plugin")
    with app.app_context():
        settings = GlobalIntegrationSettings.get()
        settings.default_text_model = add_model()
        db.session.commit()
    app.config.update(PROVIDER_RETRY_BASE_DELAY=0.001)
    return scripted


def balance(account_id):
    db.session.expire_all()
    return db.session.get(Account, account_id).credits


def test_a_call_is_priced_charged_and_logged(app, tenant, provider):
    recorded = []
    with app.app_context():
        app.extensions["igny8"].register(
            type(
                "Rec",
                (),
                {
                    "igny8_usage_recorded": staticmethod(
                        __import__("igny8").hookimpl(
                            lambda usage_log: recorded.append(usage_log.request_id)
                        )
                    )
                },
            )(),
            "rec",
        )
        outcome = run_operation(tenant.account_id, "echo", ["hi"], site_id=tenant.site_id)
        run = outcome.run
        assert (run.status, run.items_succeeded, run.model_name, run.resolved_by) == (
            "succeeded",
            1,
            "scripted-1",
            "global",
        )
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        # 1,000 input x 0.002/1k = 0.002; 500 output x 0.008/1k = 0.004; ceil(1500/1000) = 2 credits
        assert (log.input_tokens, log.output_tokens, log.usage_estimated) == (1000, 500, False)
        assert (log.cost_usd_input, log.cost_usd_output, log.cost_usd_total) == (
            Decimal("0.002"),
            Decimal("0.004"),
            Decimal("0.006"),
        )
        assert (log.price_per_1k_input, log.price_per_1k_output) == (
            Decimal("0.002"),
            Decimal("0.008"),
        )
        assert (log.credits_used, log.credits_unbilled, log.status, log.run_id) == (
            2,
            0,
            "success",
            run.id,
        )
        assert (run.credits_used, run.cost_usd) == (2, Decimal("0.006"))
        held = ledger_rows(tenant.account_id)
        assert held[0] == ("grant", 1000) and held[1][0] == "hold"
        assert held[2:] == [("release", -held[1][1]), ("settle", -2)]
        assert balance(tenant.account_id) == 998
        assert recorded == [log.request_id]
        assert audit.audit() == []
        app.extensions["igny8"].unregister("rec")


def test_hold_caps_max_tokens_to_the_balance(app, make_tenant, provider):
    tenant = make_tenant(credits=5)
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["hi"])
        request = provider.calls[0]
        prompt_tokens = 4 + 2 + 2  # "say hi": 2 tokens, 4 for the message, 2 for the prompt
        # Credits follow the bill: one credit is 1,000 tokens at the average of $2 in and $8
        # out per 1M, $0.005. The worst case (8 in + 8,192 out = $0.0655) is 14 > 5 credits:
        # hold 5 ($0.025), so (0.025 - 8 x $2/1M) / ($8/1M) = 3,123 tokens of output.
        assert request.max_tokens == (25_000 - prompt_tokens * 2) // 8
        hold = next(a for t, a in ledger_rows(tenant.account_id) if t == "hold")
        assert hold == -5
        assert balance(tenant.account_id) == 3


def test_insufficient_credits_calls_nobody(app, make_tenant, provider):
    tenant = make_tenant(credits=0)
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["a", "b"])
        assert outcome.run.status == "failed"
        assert [r["error"]["code"] for r in outcome.results] == ["insufficient_credits"] * 2
        assert provider.calls == []
        assert ledger_rows(tenant.account_id) == []
        assert db.session.execute(select(func.count(CreditUsageLog.id))).scalar() == 0


def test_provider_failure_releases_the_hold_and_charges_nothing(app, tenant, provider):
    provider.script = [ProviderError("auth_failed", "bad key")]
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["x"])
        assert outcome.run.status == "failed"
        assert outcome.results[0]["error"] == {"code": "auth_failed", "message": "bad key"}
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (log.status, log.error_code, log.credits_used) == ("failed", "auth_failed", 0)
        rows = ledger_rows(tenant.account_id)
        assert [t for t, _ in rows] == ["grant", "hold", "release"] and sum(
            a for _, a in rows
        ) == 1000
        assert balance(tenant.account_id) == 1000
        assert audit.audit() == []


def test_rate_limit_is_retried_then_succeeds_once(app, tenant, provider):
    provider.script = [
        ProviderError("rate_limited", "slow down", retry_after=0.01),
        provider.default,
    ]
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["x"])
        assert outcome.run.status == "succeeded"
        assert len(provider.calls) == 2
        assert db.session.execute(select(func.count(CreditUsageLog.id))).scalar() == 1
        assert balance(tenant.account_id) == 998


def test_errors_that_cannot_improve_are_not_retried(app, tenant, provider):
    provider.script = [ProviderError("bad_response", "garbage")] + [provider.default] * 3
    with app.app_context():
        assert run_operation(tenant.account_id, "echo", ["x"]).run.status == "failed"
        assert len(provider.calls) == 1


def test_retries_are_bounded(app, tenant, provider):
    provider.script = [ProviderError("unavailable", "down")] * 5
    with app.app_context():
        assert run_operation(tenant.account_id, "echo", ["x"]).run.status == "failed"
        assert len(provider.calls) == 3  # PROVIDER_MAX_ATTEMPTS default


def test_one_failed_item_leaves_a_partial_run(app, tenant, provider):
    app.config["RUN_ITEM_CONCURRENCY"] = 1  # the script answers in call order: item by item
    provider.script = [
        provider.default,
        ProviderError("timeout", "slow"),
        ProviderError("timeout", "slow"),
        ProviderError("timeout", "slow"),
        provider.default,
    ]
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["a", "b", "c"])
        assert [r["status"] for r in outcome.results] == ["succeeded", "failed", "succeeded"]
        assert (outcome.run.status, outcome.run.items_succeeded, outcome.run.items_failed) == (
            "partial",
            2,
            1,
        )
        assert outcome.run.credits_used == 4 and balance(tenant.account_id) == 996


def test_replay_with_the_same_key_charges_once(app, tenant, provider):
    with app.app_context():
        first = run_operation(
            tenant.account_id, "echo", ["x"], idempotency_key="k1", request={"items": ["x"]}
        )
        again = run_operation(
            tenant.account_id, "echo", ["x"], idempotency_key="k1", request={"items": ["x"]}
        )
        assert again.replayed and again.run.id == first.run.id and again.results == first.results
        assert len(provider.calls) == 1
        assert balance(tenant.account_id) == 998
        with pytest.raises(IdempotencyConflict):
            run_operation(
                tenant.account_id, "echo", ["y"], idempotency_key="k1", request={"items": ["y"]}
            )
        assert db.session.execute(select(func.count(OperationRun.id))).scalar() == 1


def test_switched_off_module_is_refused_from_any_path(app, tenant, provider):
    with app.app_context():
        modules.set_enabled("writer", False)
        db.session.commit()
        with pytest.raises(OperationRefused) as refused:
            run_operation(tenant.account_id, "echo", ["x"])
        assert refused.value.code == "module_disabled"
        assert provider.calls == []


def test_unparseable_output_is_not_charged_but_its_cost_is_logged(app, tenant, provider, plugins):
    from igny8 import hookimpl
    from igny8.ai.meter import OutputError
    from igny8.registry import Operation

    def strict(ctx, item):
        def parse(result):
            raise OutputError("expected a list")

        ctx.text([{"role": "user", "content": "x"}], parse=parse)

    class StrictPlugin:
        @hookimpl
        def igny8_register_operations(self, register):
            register(
                Operation("strict", module="writer", model_type="text", title="S", handler=strict)
            )

    plugins.register(StrictPlugin(), "strict")
    with app.app_context():
        outcome = run_operation(tenant.account_id, "strict", [1])
        assert outcome.results[0]["error"]["code"] == "bad_response"
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (log.status, log.error_code, log.credits_used) == ("failed", "bad_response", 0)
        assert log.cost_usd_total == Decimal("0.006")  # the provider was paid for those tokens
        assert balance(tenant.account_id) == 1000


def test_missing_usage_is_estimated(app, tenant, provider):
    provider.script = [None]  # the provider's response carries no usage
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["hello there"])
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert log.usage_estimated and log.input_tokens > 0 and log.output_tokens > 0
        assert log.credits_used == 1


def test_more_usage_than_held_is_unbilled(app, make_tenant, provider):
    tenant = make_tenant(credits=3)
    provider.script = [Usage(input_tokens=4000, output_tokens=3000)]  # 7 credits of work
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["x"])
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (log.credits_used, log.credits_unbilled) == (3, 4)
        assert balance(tenant.account_id) == 0
        assert audit.audit() == []


def test_the_engine_owns_each_items_transaction(app, tenant, provider, plugins):
    """Writes before a metered call stay in the item's transaction (committed first only on
    SQLite, one writer at a time), reads-only transactions end before the call; a failed
    item's writes are rolled back and on_failure's are committed."""
    app.config["RUN_ITEM_CONCURRENCY"] = 1  # the script answers in call order: item by item
    seen = []
    provider.complete = _watching(provider.complete, seen)
    provider.script = [provider.default, ProviderError("invalid_request", "refused")]

    def handler(ctx, item):
        if item == "write":
            db.session.add(keyword(ctx, "written by the handler"))
            db.session.flush()
        return {"text": ctx.text([{"role": "user", "content": item}]).output}

    def on_failure(ctx, item, error):
        db.session.add(keyword(ctx, f"failed {error['code']}"))

    plugins.register(
        _operation_plugin(
            Operation("tx", "writer", "text", "Tx", handler=handler, on_failure=on_failure)
        ),
        "tx_plugin",
    )
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        outcome = run_operation(tenant.account_id, "tx", ["read", "write"], site_id=tenant.site_id)
        assert [r["status"] for r in outcome.results] == ["succeeded", "failed"]
        names = set(db.session.execute(select(Keyword.keyword)).scalars())
    # read-only: no transaction over the call; writes: kept open except on SQLite
    assert seen == [False, not sqlite]
    assert "failed invalid_request" in names
    assert ("written by the handler" in names) == sqlite


def keyword(ctx, text):
    return Keyword(account_id=ctx.account_id, site_id=ctx.site_id, keyword=text)


def _watching(complete, seen):
    def watched(request, credential):
        seen.append(db.session().in_transaction())
        return complete(request, credential)

    return watched


def _operation_plugin(operation):
    class Plugin:
        @hookimpl
        def igny8_register_operations(self, register):
            register(operation)

    return Plugin()


def test_only_the_providers_own_plugin_reports_its_usage(app, tenant, provider, plugins):
    """A plugin whose usage hook answers for every response cannot bill another
    provider's calls: the meter asks only the plugin that registered the provider."""

    class Greedy:
        @hookimpl
        def igny8_report_usage(self, provider, model, response):
            return Usage(input_tokens=1_000_000)

    plugins.register(Greedy(), "greedy")  # registered last: pluggy would ask it first
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["a"])
        assert outcome.results[0]["status"] == "succeeded"
        row = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (row.input_tokens, row.output_tokens) == (1000, 500)


def test_a_queued_run_whose_operation_is_gone_ends_failed(app, tenant, provider, plugins):
    from igny8.ai.engine import execute_run, submit

    with app.app_context():
        run_id = submit(tenant.account_id, "echo", ["a"]).run.id
    plugins.unregister("scripted_plugin")  # the plugin was removed before a worker got it
    with app.app_context():
        outcome = execute_run(run_id)
        assert (outcome.run.status, outcome.run.error) == (
            "failed",
            "operation 'echo' is no longer loaded",
        )
        assert balance(tenant.account_id) == 1000
