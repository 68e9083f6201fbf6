"""API Monitor, Debug Console and System Health."""

import re
from datetime import timedelta

from metering_support import model_named
from sqlalchemy import select
from test_admin import admin, admin_user, csrf_from  # noqa: F401  (fixtures)

from igny8 import prompts
from igny8.admin.monitoring import latency_by_provider, latency_percentiles
from igny8.extensions import db
from igny8.models import Account, CreditUsageLog, IntegrationSettings, ProviderCredential
from igny8.timeutil import utcnow


def test_latency_percentiles_in_sql(app, tenant):
    """percentile_cont on PostgreSQL, the same interpolation over a sample on SQLite."""
    since = utcnow() - timedelta(hours=1)

    def with_latencies(provider, values):
        with app.app_context():
            for n, ms in enumerate(values):
                db.session.add(
                    CreditUsageLog(
                        account_id=tenant.account_id,
                        operation="clustering",
                        provider=provider,
                        request_id=f"{provider}-{n}",
                        latency_ms=ms,
                    )
                )
            db.session.commit()

    with app.app_context():
        assert latency_percentiles(since) == {50: None, 95: None}
    with_latencies("four", [40, 10, 30, 20])
    with_latencies("hundred", list(range(1, 101)))
    with app.app_context():
        assert latency_percentiles(since, "four")[50] == 25
        assert latency_percentiles(since, "hundred")[95] == 95.05
        assert latency_percentiles(since, "hundred", quantiles=(0, 100)) == {0: 1, 100: 100}
        # every provider from one shared sample: 10..40 gives p95 at rank 2.85 -> 38.5
        assert latency_by_provider(since) == {
            "four": {50: 25, 95: 38.5},
            "hundred": {50: 50.5, 95: 95.05},
        }
        assert latency_by_provider(utcnow()) == {}


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
        r"<td>openai</td><td>5</td><td>1</td><td>20.0%</td>\s*<td>5</td><td>1.00</td>\s*"
        r"<td>300 ms</td><td>880 ms</td>",
        hour,
    )
    day = html[html.index('id="stats-2"') : html.index('id="recent"')]
    assert "<td>openai</td><td>6</td><td>1</td>" in day
    assert html.count("table-danger") == 1 and "timeout" in html


def test_debug_console_explains_and_makes_a_test_call(app, admin, make_tenant, openai_server):  # noqa: F811
    from igny8.models import ProviderCredential

    tenant = make_tenant(plan="growth")
    with app.app_context():
        prompts.populate()
        db.session.add(
            ProviderCredential(
                provider="openai", api_key="sk-test", base_url=openai_server.url + "/v1"
            )
        )
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
    # Before the call, the button says which model, provider and account it will use.
    with app.app_context():
        tenant_name = db.session.get(Account, tenant.account_id).name
    assert (
        f"Test call on gpt-4o through openai, with {tenant_name}'s settings, billed to "
        f"igny8 admin tests (internal) (not to {tenant_name})" in html
    ), html[html.index('id="test-call"') - 300 : html.index('id="test-call"') + 300]
    done = admin.post(
        url,
        data={
            "account_id": tenant.account_id,
            "operation": "clustering",
            "csrf_token": csrf_from(html),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    # The model the cascade picked, on its real provider, with the account's temperature;
    # billed to the internal admin-tests account, not to the tenant.
    sent = openai_server.requests[-1]["json"]
    assert (sent["model"], sent["temperature"]) == ("gpt-4o", 0.2)
    assert "on gpt-4o (resolved by account)" in done and "not to Tenant" in done
    with app.app_context():
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        internal = db.session.get(Account, log.account_id)
        assert internal.is_internal and internal.name == "igny8 admin tests (internal)"
        assert (log.provider, log.operation, log.status) == ("openai", "clustering", "success")
        assert db.session.get(Account, tenant.account_id).credits == 1000
    assert app.test_cli_runner().invoke(args=["igny8", "audit-ledger"]).exit_code == 0


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


def test_system_health_goes_amber_and_red_on_provider_errors_and_stale_holds(
    app, client, make_tenant
):
    from datetime import timedelta

    from igny8.billing import ledger
    from igny8.models import CreditUsageLog
    from igny8.timeutil import utcnow

    tenant = make_tenant()

    def calls(provider, ok, failed, start):
        with app.app_context():
            for n in range(ok + failed):
                db.session.add(
                    CreditUsageLog(
                        account_id=tenant.account_id,
                        operation="clustering",
                        provider=provider,
                        request_id=f"{provider}-{start + n}",
                        status="failed" if n < failed else "success",
                        error_code="unavailable" if n < failed else None,
                        latency_ms=100,
                    )
                )
            db.session.commit()

    def health():
        body = client.get("/api/v1/health")
        checks = {c["name"]: c for c in body.json["checks"]}
        return body.status_code, body.json["status"], checks

    calls("openai", ok=9, failed=1, start=0)  # 10%: amber
    status, overall, checks = health()
    assert (status, overall, checks["provider_errors"]["level"]) == (200, "degraded", "amber")
    assert "openai: 10% of 10 call(s) failed" in checks["provider_errors"]["detail"]
    calls("openai", ok=0, failed=10, start=100)  # 11 of 20 failed: red
    status, overall, checks = health()
    assert (status, overall, checks["provider_errors"]["level"]) == (503, "error", "red")
    with app.app_context():
        db.session.query(CreditUsageLog).delete()
        ledger.apply(tenant.account_id, -5, "hold", reference="lost-call")
        hold = db.session.execute(
            db.select(db.text("max(id)")).select_from(db.text("credit_transactions"))
        ).scalar()
        db.session.execute(
            db.text("UPDATE credit_transactions SET created_at = :t WHERE id = :i"),
            {"t": utcnow() - timedelta(hours=2), "i": hold},
        )
        db.session.commit()
    status, overall, checks = health()
    assert (status, overall, checks["stale_holds"]["level"]) == (200, "degraded", "amber")
    assert "1 hold(s) of 5 credit(s)" in checks["stale_holds"]["detail"]


def test_home_dashboard_has_the_day_the_month_balances_and_failing_providers(
    app,
    admin,  # noqa: F811
    make_tenant,
):
    from decimal import Decimal

    from igny8.models import CreditUsageLog

    poor = make_tenant(credits=3, name="Poor Co")
    make_tenant(credits=5000, name="Rich Co")
    with app.app_context():
        for n, (status, latency, cost, credits) in enumerate(
            [("success", 100, "0.50", 5), ("success", 200, "0.25", 3), ("failed", 900, "0", 0)]
        ):
            db.session.add(
                CreditUsageLog(
                    account_id=poor.account_id,
                    operation="clustering",
                    provider="openai",
                    request_id=f"home-{n}",
                    status=status,
                    latency_ms=latency,
                    credits_used=credits,
                    cost_usd_total=Decimal(cost),
                )
            )
        db.session.commit()
    html = admin.get("/admin/").get_data(as_text=True)
    today = html[html.index('id="dashboard-today"') : html.index('id="dashboard-month"')]
    # cost 0.75; revenue 8 credits x 0.10 = 0.80; margin 0.05; 1 of 3 failed;
    # p95 of 100, 200, 900 interpolated: 200 + 0.9 x 700 = 830
    for figure in ("$0.75", "$0.80", "$0.05", ">3<", "33.3%", "830 ms"):
        assert figure in today, figure
    lowest = html[html.index('id="lowest-balances"') :]
    assert lowest.index("Poor Co") < lowest.index("Rich Co")
    failing = html[html.index('id="failing-providers"') :]
    assert "openai" in failing and "33.3%" in failing


def test_models_near_or_past_their_end_of_life_are_flagged_on_the_list_and_home(app, admin):  # noqa: F811
    today = utcnow().date()
    with app.app_context():
        # claude-opus-4-5's announced end of life, as the catalog records it
        assert model_named("claude-opus-4-5").end_of_life.isoformat() == "2027-01-22"
        model_named("gpt-4o").end_of_life = today + timedelta(days=30)
        model_named("gpt-4.1").end_of_life = today - timedelta(days=1)
        model_named("o4-mini").end_of_life = today + timedelta(days=400)  # far off: no flag
        db.session.commit()
    listing = admin.get("/admin/aimodelconfig/?page_size=100").get_data(as_text=True)
    assert "ends in 30 days" in listing and "past end of life since" in listing
    home = admin.get("/admin/").get_data(as_text=True)
    retiring = home[home.index('id="retiring-models"') :]
    retiring = retiring[: retiring.index("</table>")]
    assert "gpt-4.1" in retiring and "gpt-4o" in retiring and "o4-mini" not in retiring
    assert retiring.index("gpt-4.1") < retiring.index("gpt-4o")  # soonest first


def test_a_provider_that_answers_after_two_500s_shows_its_retries_and_turns_amber(
    app,
    admin,  # noqa: F811
    client,
    plugins,
    openai_server,
    make_tenant,
):
    """The local OpenAI server answers each call 500, 500, 200: no call fails, so the
    error rate says nothing, but API Monitor counts three attempts a call (the row
    amber) and System Health turns amber; the model's latency has a row of its own."""
    from test_metering_openai import EchoPlugin

    from igny8.ai.engine import run_operation
    from igny8.models import GlobalIntegrationSettings

    plugins.register(EchoPlugin(), "echo")
    app.config.update(PROVIDER_RETRY_BASE_DELAY=0.001)
    tenant = make_tenant()
    with app.app_context():
        db.session.add(
            ProviderCredential(
                provider="openai", api_key="sk-test", base_url=openai_server.url + "/v1"
            )
        )
        GlobalIntegrationSettings.get().default_text_model = model_named("gpt-4o-mini")
        db.session.commit()
        for n in range(5):
            openai_server.script += ["server_error", "server_error", "ok"]
            assert run_operation(tenant.account_id, "echo", [n]).run.status == "succeeded"
    html = admin.get("/admin/monitoring/api/").get_data(as_text=True)
    hour = html[html.index('id="stats-1"') : html.index('id="stats-2"')]
    assert re.search(
        r'<tr class="table-warning"><td>openai</td><td>5</td><td>0</td><td>0.0%</td>\s*'
        r"<td>15</td><td>3.00</td>",
        hour,
    ), hour
    models = html[html.index('id="models"') : html.index('id="recent"')]
    assert re.search(r"<td>gpt-4o-mini</td><td>5</td>\s*<td>\d+ ms</td><td>\d+ ms</td>", models), (
        models
    )
    assert "unavailable 500 after" in html  # each failed attempt, on the call's row
    body = client.get("/api/v1/health")
    checks = {c["name"]: c for c in body.json["checks"]}
    assert (body.status_code, checks["provider_errors"]["level"]) == (200, "amber")
    assert (
        "openai: 0% of 5 call(s) failed, 3.0 attempts a call" in checks["provider_errors"]["detail"]
    )
