"""Low-balance and error-spike alerts through igny8_usage_recorded, to a webhook and by
e-mail, each sent once per repeat window, and nothing at all when no channel is set."""

import re

import pytest
from conftest import create_tenant
from metering_support import ScriptedProvider, add_model, scripted_plugin
from sqlalchemy import select

from igny8.ai.engine import run_operation
from igny8.ai.provider import ProviderError
from igny8.extensions import db
from igny8.models import AlertLog, GlobalIntegrationSettings


@pytest.fixture
def smtp_sink():
    from servers.smtp_server import SMTPSink

    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def alerting(make_app, webhook_server):
    """An app with a webhook channel (alerts load only with a channel)."""

    def make(**config):
        return make_app(ALERT_WEBHOOK_URL=webhook_server.url + "/hooks/igny8", **config)

    return make


def scripted(app, with_model=True):
    provider = ScriptedProvider()
    app.extensions["igny8"].register(scripted_plugin(provider), "scripted_plugin")
    if with_model:
        with app.app_context():
            GlobalIntegrationSettings.get().default_text_model = add_model()
            db.session.commit()
    return provider


def alerts(app):
    with app.app_context():
        return [
            (a.kind, a.key, a.channels, a.delivered)
            for a in db.session.execute(select(AlertLog).order_by(AlertLog.id)).scalars()
        ]


def test_low_balance_alert_by_webhook_and_email_once(alerting, webhook_server, smtp_sink):
    app = alerting(
        ALERT_EMAIL_TO="ops@example.test",
        ALERT_SMTP_HOST="127.0.0.1",
        ALERT_SMTP_PORT=smtp_sink.port,
        ALERT_LOW_BALANCE_CREDITS=50,
    )
    scripted(app)
    tenant = create_tenant(app, credits=60, name="Lowly")
    with app.app_context():
        # 1,500 tokens at 1,000 per credit: 2 credits a call
        run_operation(tenant.account_id, "echo", ["a"] * 4)  # 60 -> 52: above 50, no alert
    assert alerts(app) == []
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["b"] * 3)  # 50, 48, 46: below from the 2nd
    key = f"low_balance:{tenant.account_id}"
    assert alerts(app) == [("low_balance", key, "webhook,email", True)]  # once, not per call
    sent = webhook_server.requests[-1]["json"]
    # The items run in parallel: the alert is sent at 48 or, if the third settled first, 46.
    left = re.search(r"'Lowly' has (\d+) credits left", sent["message"])
    assert sent["alert"] == "low_balance" and left and int(left.group(1)) in (46, 48)
    [mail] = smtp_sink.messages
    assert "ops@example.test" in mail["to"][0] and "[igny8] low balance" in mail["data"]


def test_error_spike_alert(alerting, webhook_server):
    # One item at a time: the script's calls are recorded in the order they are made.
    app = alerting(
        ALERT_ERROR_SPIKE_MIN_CALLS=4, ALERT_ERROR_SPIKE_RATE=0.5, RUN_ITEM_CONCURRENCY=1
    )
    provider = scripted(app)
    tenant = create_tenant(app)
    # one success, then three failures: at the fourth call 3 of 4 failed
    provider.script = [provider.default] + [ProviderError("invalid_request", "bad")] * 3
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["ok", "x", "y", "z"])
    assert alerts(app) == [("error_spike", "error_spike:scripted", "webhook", True)]
    assert "3 of 4 calls failed" in webhook_server.requests[-1]["json"]["message"]


def test_no_channel_no_alert_and_a_dead_channel_is_recorded(app, make_app, make_tenant, provider):
    tenant = make_tenant(credits=5)
    assert "igny8.default_plugins.alerts" not in app.extensions["igny8"].info  # not loaded
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["a"])
    assert alerts(app) == []  # nothing configured: nothing sent, nothing written
    app = make_app(ALERT_WEBHOOK_URL="http://127.0.0.1:9/nowhere")  # same database
    scripted(app, with_model=False)
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["b"])
        assert outcome.run.status == "succeeded"  # the call stands whatever the alert did
    assert alerts(app) == [("low_balance", f"low_balance:{tenant.account_id}", "webhook", False)]
