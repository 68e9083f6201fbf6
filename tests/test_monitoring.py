"""API Monitor, Debug Console and System Health."""

import re
from datetime import timedelta

from metering_support import model_named
from sqlalchemy import select
from test_admin import admin, admin_user, csrf_from  # noqa: F401  (fixtures)

from igny8 import prompts
from igny8.admin.monitoring import percentile
from igny8.extensions import db
from igny8.models import Account, CreditUsageLog, IntegrationSettings, ProviderCredential
from igny8.timeutil import utcnow


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([100], 95) == 100
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile(list(range(1, 101)), 95) == 95.05


def test_api_monitor_error_rate_and_latency(app, admin, tenant):  # noqa: F811
    now = utcnow()
    latencies = [100, 200, 300, 400, 1000]
    with app.app_context():
        for n, ms in enumerate(latencies):
            db.session.add(
                CreditUsageLog(
                    account_id=tenant.account_id,
                    operation="clustering",
                    provider="openai",
                    request_id=f"m{n}",
                    latency_ms=ms,
                    status="failed" if n == 4 else "success",
                    error_code="timeout" if n == 4 else None,
                    created_at=now - timedelta(minutes=5),
                )
            )
        db.session.add(
            CreditUsageLog(
                account_id=tenant.account_id,
                operation="clustering",
                provider="openai",
                request_id="old",
                latency_ms=5000,
                created_at=now - timedelta(hours=3),
            )
        )
        db.session.commit()
    html = admin.get("/admin/monitoring/api/").get_data(as_text=True)
    hour = html[html.index('id="stats-1"') : html.index('id="stats-2"')]
    # last hour: 5 calls, 1 failed (20%), p50 300 ms, p95 = 400 + 0.8 x 600 = 880 ms
    assert re.search(
        r"<td>openai</td><td>5</td><td>1</td><td>20.0%</td>\s*<td>300 ms</td><td>880 ms</td>", hour
    )
    day = html[html.index('id="stats-2"') : html.index('id="recent"')]
    assert "<td>openai</td><td>6</td><td>1</td>" in day
    assert html.count("table-danger") == 1 and "timeout" in html


def test_debug_console_explains_and_makes_a_test_call(app, admin, make_tenant):  # noqa: F811
    tenant = make_tenant(plan="growth")
    with app.app_context():
        prompts.populate()
        db.session.add(
            IntegrationSettings(
                account_id=tenant.account_id,
                text_model=model_named("gpt-4o"),
                config={"temperature": 0.2},
            )
        )
        db.session.commit()
    url = f"/admin/monitoring/debug/?account_id={tenant.account_id}&operation=clustering"
    html = admin.get(url).get_data(as_text=True)
    assert "Resolved model: <strong>gpt-4o</strong>, decided by <strong>account</strong>" in html
    cascade = html[html.index('id="cascade"') : html.index('id="parameters"')]
    assert [o for o in re.findall(r"<td>(chosen|not set|not reached)</td>", cascade)] == [
        "not set",
        "chosen",
        "not reached",
        "not reached",
        "not reached",
    ]
    assert "<td>temperature</td><td>0.2</td><td>account</td>" in html
    assert "&lt;site_name&gt;" in html and "- &lt;keywords 1&gt;" in html
    admin.post(
        url,
        data={
            "account_id": tenant.account_id,
            "operation": "clustering",
            "csrf_token": csrf_from(html),
        },
    )
    with app.app_context():
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (log.provider, log.operation, log.credits_used) == ("offline", "clustering", 2)
        assert db.session.get(Account, tenant.account_id).credits == 998


def test_system_health_is_green_and_never_shows_keys(app, admin):  # noqa: F811
    secret = "sk-live-HEALTH-NEVER-SHOWS-0123456789"
    with app.app_context():
        db.session.add(ProviderCredential(provider="openai", api_key=secret))
        db.session.commit()
    html = admin.get("/admin/monitoring/health/").get_data(as_text=True)
    assert 'id="overall">all green' in html and "table-danger" not in html
    for check in (
        "database",
        "migrations",
        "encryption key",
        "plugins",
        "provider credentials",
        "disk",
        "module switches",
    ):
        assert f"<td>{check}</td>" in html
    assert "configured: offline, openai" in html and secret not in html
    assert "GiB free" in html
