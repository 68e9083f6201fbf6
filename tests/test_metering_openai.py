"""The engine with the real OpenAI plugin against the local OpenAI server: usage rows whose
USD and credits are recomputed by hand from DESIGN §4."""

import logging
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from metering_support import model_named
from sqlalchemy import select

from igny8 import hookimpl
from igny8.ai.engine import run_operation
from igny8.billing import audit
from igny8.extensions import db
from igny8.models import (
    Account,
    CreditTransaction,
    CreditUsageLog,
    GlobalIntegrationSettings,
    ProviderCredential,
)
from igny8.registry import Operation

SECRET = "sk-live-VERY-SECRET-0123456789"


class EchoPlugin:
    @hookimpl
    def igny8_register_operations(self, register):
        register(
            Operation(
                "echo",
                module="writer",
                model_type="text",
                title="Echo",
                handler=lambda ctx, item: {
                    "text": ctx.text([{"role": "user", "content": f"say {item}"}]).output
                },
            )
        )


@pytest.fixture
def openai_app(app, plugins, openai_server):
    plugins.register(EchoPlugin(), "echo")
    app.config.update(PROVIDER_RETRY_BASE_DELAY=0.001)
    with app.app_context():
        db.session.add(
            ProviderCredential(
                provider="openai", api_key=SECRET, base_url=openai_server.url + "/v1"
            )
        )
        GlobalIntegrationSettings.get().default_text_model = model_named("gpt-4o-mini")
        db.session.commit()
    return app


def test_usage_row_recomputed_by_hand(openai_app, tenant, openai_server):
    openai_server.script.append("cached")
    with openai_app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["hello"])
        assert outcome.results[0]["text"] == "Hello from the local OpenAI server."
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        # gpt-4o-mini: 0.00015 input, 0.000075 cached input, 0.0006 output per 1k tokens.
        # prompt_tokens 1,200 of which 1,000 cached; completion 300.
        assert (log.input_tokens, log.cached_input_tokens, log.output_tokens) == (1200, 1000, 300)
        fresh = Decimal(200) * Decimal("0.00015") / 1000
        cached = Decimal(1000) * Decimal("0.000075") / 1000
        expected_output = Decimal(300) * Decimal("0.0006") / 1000
        assert (fresh, cached, expected_output) == (
            Decimal("0.00003"),
            Decimal("0.000075"),
            Decimal("0.00018"),
        )
        assert (
            log.cost_usd_input,
            log.cost_usd_cached,
            log.cost_usd_cache_write,
            log.cost_usd_output,
            log.cost_usd_images,
            log.cost_usd_total,
        ) == (fresh, cached, 0, expected_output, 0, Decimal("0.000285"))
        assert (log.price_tier, log.service_tier, log.price_note) == ("standard", None, None)
        assert log.prices_used["cached_input"] == "0.075"  # per 1M
        # 10,000 tokens per credit: ceil(1,500 / 10,000) = 1 credit (also the minimum).
        assert (log.credits_used, log.provider, log.status) == (1, "openai", "success")
        assert db.session.get(Account, tenant.account_id).credits == 999
        # max_tokens sent = the global default 8,192 capped by gpt-4o-mini's 16,384: 8,192
        assert openai_server.requests[-1]["json"]["max_tokens"] == 8192


def test_rate_limited_then_served_is_charged_once(openai_app, tenant, openai_server):
    openai_server.script += ["rate_limit", "ok"]
    with openai_app.app_context():
        assert run_operation(tenant.account_id, "echo", ["x"]).run.status == "succeeded"
        assert len(openai_server.requests) == 2
        assert len(db.session.execute(select(CreditUsageLog)).scalars().all()) == 1


def test_the_key_never_appears_in_errors_rows_or_logs(openai_app, tenant, openai_server, caplog):
    openai_server.script.append("auth")  # the server echoes the key in its message
    caplog.set_level(logging.DEBUG)
    with openai_app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["x"])
        error = outcome.results[0]["error"]
        assert error["code"] == "auth_failed"
        assert "Incorrect API key provided" in error["message"] and SECRET not in error["message"]
        assert SECRET not in str(outcome.results) and SECRET not in (outcome.run.error or "")
        assert SECRET not in caplog.text


def test_missing_key_is_auth_failed_without_a_request(
    app, plugins, tenant, openai_server, monkeypatch
):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    plugins.register(EchoPlugin(), "echo")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = model_named("gpt-4o-mini")
        db.session.commit()
        outcome = run_operation(tenant.account_id, "echo", ["x"])
        assert outcome.results[0]["error"]["code"] == "auth_failed"
        assert "OPENAI_API_KEY" in outcome.results[0]["error"]["message"]
        assert openai_server.requests == []
        assert db.session.get(Account, tenant.account_id).credits == 1000


def test_key_and_base_url_from_the_environment(app, plugins, tenant, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url + "/v1")
    plugins.register(EchoPlugin(), "echo")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = model_named("gpt-4o")
        db.session.commit()
        assert run_operation(tenant.account_id, "echo", ["x"]).run.status == "succeeded"
    assert openai_server.requests[-1]["headers"]["authorization"] == "Bearer sk-from-env"


def test_timeout_is_retried_then_fails_with_nothing_charged(openai_app, tenant, openai_server):
    openai_app.config.update(PROVIDER_TIMEOUT=0.2)
    openai_server.slow_seconds = 0.6
    openai_server.script += ["slow"] * 3
    with openai_app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["x"])
        assert outcome.results[0]["error"]["code"] == "timeout"
        assert len(openai_server.requests) == 3
        assert db.session.get(Account, tenant.account_id).credits == 1000


def test_a_provider_that_hangs_is_cut_at_its_timeout_and_its_hold_released(
    openai_app, tenant, openai_server
):
    openai_app.config.update(PROVIDER_TIMEOUT=0.3, PROVIDER_MAX_ATTEMPTS=2)
    openai_server.slow_seconds = 5  # far past the timeout: the provider hangs
    openai_server.script += ["slow", "slow"]
    with openai_app.app_context():
        started = time.monotonic()
        outcome = run_operation(tenant.account_id, "echo", ["x"])
        elapsed = time.monotonic() - started
        assert outcome.run.status == "failed"
        assert outcome.results[0]["error"]["code"] == "timeout"
        assert elapsed < 3  # two attempts of 0.3 s and a back-off, not the 5 s hang
        assert len(openai_server.requests) == 2
        assert db.session.get(Account, tenant.account_id).credits == 1000  # nothing charged
        assert audit.open_holds(timedelta(0)) == []  # its hold was returned at once
        assert audit.audit() == []


def test_an_answer_claiming_10_15_tokens_is_settled_at_its_hold_and_flagged(
    openai_app, tenant, openai_server
):
    # A recorded shape: a server (or a proxy before it) that reports an absurd count.
    openai_server.usage = {"prompt_tokens": 10**15, "completion_tokens": 300}
    with openai_app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["hello"])
        assert outcome.run.status == "succeeded"  # the answer itself is fine
        row = db.session.execute(select(CreditUsageLog)).scalar_one()
        [hold] = db.session.execute(
            select(CreditTransaction).where(CreditTransaction.type == "hold")
        ).scalars()
        assert (row.status, row.error_code) == ("success", "implausible_usage")
        assert row.credits_used == -hold.amount and row.credits_unbilled == 0
        assert "input_tokens 1,000,000,000,000,000 is more than one call can use" in (
            row.price_note
        )
        # igny8's own count of the call is recorded and priced, the claim kept beside it
        assert row.usage_estimated and 0 < row.input_tokens < 100 and row.output_tokens > 0
        assert row.raw_usage["claimed"]["input_tokens"] == 10**15
        assert row.raw_usage["claimed"]["raw"]["prompt_tokens"] == 10**15
        assert Decimal(0) < row.cost_usd_total < Decimal("0.01")
        balance = db.session.get(Account, tenant.account_id).credits
        assert balance == 1000 + hold.amount
        assert audit.audit(grace=timedelta(0)) == []


def test_every_provider_attempt_is_recorded_on_the_call(openai_app, tenant, openai_server):
    """500, 500, 200: one call, charged once, that made three attempts, the two failed
    ones kept with their code, HTTP status and time; a call that never got an answer
    keeps all three."""
    openai_server.script += ["server_error", "server_error", "ok"]
    with openai_app.app_context():
        assert run_operation(tenant.account_id, "echo", ["x"]).run.status == "succeeded"
        row = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (row.status, row.attempts, row.credits_used) == ("success", 3, 1)
        assert [(a["code"], a["status"]) for a in row.failed_attempts] == [
            ("unavailable", 500),
            ("unavailable", 500),
        ]
        assert all(isinstance(a["ms"], int) and a["ms"] >= 0 for a in row.failed_attempts)
        assert len(openai_server.requests) == 3
    openai_server.script += ["server_error"] * 3
    with openai_app.app_context():
        assert run_operation(tenant.account_id, "echo", ["y"]).run.status == "failed"
        failed = db.session.execute(
            select(CreditUsageLog).where(CreditUsageLog.status == "failed")
        ).scalar_one()
        assert (failed.attempts, len(failed.failed_attempts), failed.credits_used) == (3, 3, 0)
        assert audit.audit() == []
