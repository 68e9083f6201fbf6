"""Google Gemini, a built-in provider on the official google-genai SDK: right after
`flask igny8 init`, with GEMINI_API_KEY (and GEMINI_BASE_URL at the local Gemini server),
a run is metered exactly; its errors are retried and mapped like every provider's, and the
key appears nowhere. The conformance kit is in test_conformance.py, the bill shapes in
test_bills.py."""

from decimal import Decimal

from metering_support import OperationsPlugin, model_named
from sqlalchemy import select

from igny8.ai.engine import run_operation
from igny8.extensions import db
from igny8.models import Account, CreditUsageLog, GlobalIntegrationSettings
from igny8.testing import make_tenant

KEY = "AIza-VERY-SECRET-gemini-key-0123"


def test_a_gemini_call_is_metered_exactly_right_after_init(
    make_app, gemini_server, monkeypatch, caplog
):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GEMINI_BASE_URL", gemini_server.url)
    app = make_app(seeded=False, PROVIDER_RETRY_BASE_DELAY=0.001)
    result = app.test_cli_runner().invoke(args=["igny8", "init"])
    assert result.exit_code == 0, result.output
    app.extensions["igny8"].register(OperationsPlugin(), "gemini-ops")
    tenant = make_tenant(app, credits=1000)
    with app.app_context():
        flash = model_named("gemini-2.5-flash")
        assert (flash.provider, flash.is_active) == ("gemini", True)
        GlobalIntegrationSettings.get().default_text_model = flash
        db.session.commit()
    gemini_server.script += ["rate_limit", "ok"]  # a 429, then the answer: charged once
    with app.app_context():
        outcome = run_operation(tenant.account_id, "say", ["a lighthouse at dusk"])
        assert outcome.run.status == "succeeded", outcome.results
        assert len(gemini_server.requests) == 2
        sent = gemini_server.requests[-1]
        assert sent["headers"]["x-goog-api-key"] == KEY
        assert sent["path"].endswith("/models/gemini-2.5-flash:generateContent")
        row = db.session.execute(select(CreditUsageLog)).scalar_one()
        # 1,200 prompt x $0.30 + 300 answer x $2.50 (per 1M) = 0.00036 + 0.00075
        assert (row.provider, row.input_tokens, row.output_tokens) == ("gemini", 1200, 300)
        assert row.cost_usd_total == Decimal("0.00111") and not row.usage_estimated
        # credits follow the bill: one credit is 5,000 tokens at ($0.30 + $2.50) / 2 per 1M
        # = $0.007, so 0.00111 is 1 credit (the minimum)
        assert row.credits_used == 1
        assert db.session.get(Account, tenant.account_id).credits == 999
    # a refused key: auth_failed at once (not retried), the key in no message or log
    gemini_server.script.append("auth")
    with app.app_context():
        outcome = run_operation(tenant.account_id, "say", ["again"])
        error = outcome.results[0]["error"]
        assert error["code"] == "auth_failed" and "API key not valid" in error["message"]
        assert KEY not in str(outcome.results) and KEY not in caplog.text
        assert len(gemini_server.requests) == 3
        assert db.session.get(Account, tenant.account_id).credits == 999


def test_a_failing_gemini_is_retried_then_refunded(
    app, plugins, tenant, gemini_server, monkeypatch
):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GEMINI_BASE_URL", gemini_server.url)
    app.config.update(PROVIDER_RETRY_BASE_DELAY=0.001)
    plugins.register(OperationsPlugin(), "gemini-ops")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = model_named("gemini-2.5-flash")
        db.session.commit()
    gemini_server.script += ["server_error"] * 3  # every attempt
    with app.app_context():
        outcome = run_operation(tenant.account_id, "say", ["x"])
        assert outcome.results[0]["error"]["code"] == "unavailable"
        assert len(gemini_server.requests) == 3  # PROVIDER_MAX_ATTEMPTS
        assert db.session.get(Account, tenant.account_id).credits == 1000
        row = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (row.status, row.error_code, row.credits_used) == ("failed", "unavailable", 0)
