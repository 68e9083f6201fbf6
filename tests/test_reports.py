"""Reports: SQL aggregates equal sums worked by hand; forecast and anomaly maths."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from metering_support import model_named
from test_admin import admin, admin_user  # noqa: F401  (fixtures)

from igny8 import analytics
from igny8.extensions import db
from igny8.models import CreditUsageLog
from igny8.timeutil import utcnow


def test_least_squares_and_forecast():
    trend = analytics.least_squares([1.0, 2.0, 3.0, 4.0])
    assert (round(trend.slope, 9), round(trend.intercept, 9)) == (1.0, 1.0)
    assert analytics.least_squares([5.0]).at(10) == 5.0
    days = [
        (date(2026, 11, 1) + timedelta(days=i), float(i + 1)) for i in range(20)
    ]  # 1, 2, ... 20
    f = analytics.forecast(days, today=date(2026, 11, 20))
    # Month to date 1+...+20 = 210; the line continues 21..30 for the 10 days left = 255.
    assert (f.month_to_date, round(f.rest_of_month, 6), round(f.month_total, 6)) == (
        210.0,
        255.0,
        465.0,
    )
    assert round(f.next_30_days, 6) == sum(range(21, 51)) and "least-squares" in f.method
    falling = [(date(2026, 11, 1) + timedelta(days=i), float(10 - i)) for i in range(10)]
    assert analytics.forecast(falling, date(2026, 11, 10)).next_30_days == 0  # never negative


def test_robust_outliers():
    series = [
        (date(2026, 1, i + 1), v) for i, v in enumerate([10, 11, 9, 10, 12, 10, 95, 11, 10, 9])
    ]
    outliers = analytics.robust_outliers(series)
    assert [(d.day, v) for d, v, _ in outliers] == [(7, 95)]
    assert outliers[0][2] > 3.5
    assert analytics.robust_outliers(series[:2]) == []


def test_margin():
    assert analytics.margin(100, Decimal("4.50"), Decimal("0.10")) == {
        "revenue_usd": Decimal("10.00"),
        "cost_usd": Decimal("4.50"),
        "margin_usd": Decimal("5.50"),
        "margin_pct": 55.0,
    }
    assert analytics.margin(0, Decimal(0), Decimal("0.10"))["margin_pct"] is None


@pytest.fixture
def usage(app, make_tenant):
    a, b = make_tenant(name="Alpha"), make_tenant(name="Beta")
    now = utcnow()
    rows = [  # account, days ago, model, operation, status, input, cached, output, credits, unbilled, cost
        (a, 0, "gpt-4o-mini", "clustering", "success", 1000, 400, 200, 2, 0, "0.10"),
        (a, 1, "gpt-4o", "content_generation", "success", 3000, 0, 2000, 5, 1, "0.30"),
        (b, 1, "gpt-4o", "content_generation", "failed", 500, 0, 0, 0, 0, "0.05"),
        (b, 2, "claude-haiku-4-5", "idea_generation", "success", 800, 0, 400, 1, 0, "0.20"),
        (b, 100, "gpt-4o", "clustering", "success", 9, 0, 9, 9, 9, "9.00"),  # outside 30 days
    ]
    with app.app_context():
        for n, (t, ago, model, op, status, inp, cached, out, credits, unbilled, cost) in enumerate(
            rows
        ):
            db.session.add(
                CreditUsageLog(
                    account_id=t.account_id,
                    operation=op,
                    provider=model_named(model).provider,
                    model_config_id=model_named(model).id,
                    request_id=f"u{n}",
                    status=status,
                    input_tokens=inp,
                    cached_input_tokens=cached,
                    output_tokens=out,
                    credits_used=credits,
                    credits_unbilled=unbilled,
                    cost_usd_total=Decimal(cost),
                    created_at=now - timedelta(days=ago),
                )
            )
        db.session.commit()


def test_token_usage_report_matches_hand_sums(admin, usage):  # noqa: F811
    data = admin.get("/admin/reports/token-usage/?days=30&format=json").json
    t = data["totals"]
    assert (
        t["calls"],
        t["input_tokens"],
        t["cached_input_tokens"],
        t["output_tokens"],
        t["credits"],
    ) == (4, 5300, 400, 2600, 8)
    assert t["cost_usd"] == "0.65000000" and t["success_rate"] == 0.75
    # 0.65 USD over 7,900 tokens = 0.08227848 per 1k
    assert t["cost_per_1k_tokens"] == "0.08227848"
    by_model = {r["key"]: (r["calls"], r["cost_usd"]) for r in data["by_model"]}
    assert by_model == {
        "gpt-4o": (2, "0.35000000"),
        "gpt-4o-mini": (1, "0.10000000"),
        "claude-haiku-4-5": (1, "0.20000000"),
    }
    assert {r["key"]: r["calls"] for r in data["by_account"]} == {"Alpha": 2, "Beta": 2}
    assert {r["key"]: r["calls"] for r in data["by_provider"]} == {"openai": 3, "anthropic": 1}
    assert len(data["daily"]) == 30 and sum(d["calls"] for d in data["daily"]) == 4
    week = admin.get("/admin/reports/token-usage/?days=7&format=json").json
    assert week["totals"]["calls"] == 4
    wide = admin.get(
        f"/admin/reports/token-usage/?start={(utcnow() - timedelta(days=120)).date()}&format=json"
    ).json
    assert wide["totals"]["calls"] == 5


def test_cost_analysis_matches_hand_sums(admin, usage):  # noqa: F811
    data = admin.get("/admin/reports/ai-cost-analysis/?days=30&format=json").json
    t = data["totals"]
    # 8 credits x 0.10 = 0.80 revenue against 0.65 cost
    assert (t["revenue_usd"], t["cost_usd"], t["margin_usd"], t["credits_unbilled"]) == (
        "0.80",
        "0.65000000",
        "0.15000000",
        1,
    )
    ops = {
        r["key"]: (r["cost_usd"], r["revenue_usd"], r["margin_usd"]) for r in data["by_operation"]
    }
    assert ops["content_generation"] == ("0.35000000", "0.50", "0.15000000")
    assert data["forecast"][0]["method"] == "least-squares linear trend of daily cost"
    assert isinstance(data["anomalous_days"], list)
    # the mean cost of content_generation is 0.175; no call costs more than 3x that here
    assert data["expensive_calls"] == []


def test_report_tables_download_as_csv(admin, usage):  # noqa: F811
    response = admin.get("/admin/reports/ai-cost-analysis/?days=30&format=csv&table=by_model")
    lines = response.get_data(as_text=True).strip().splitlines()
    assert response.mimetype == "text/csv" and lines[0].startswith("key,calls")
    assert len(lines) == 4
    assert admin.get("/admin/reports/token-usage/?format=csv&table=nope").status_code == 404


def test_report_pages_render_with_the_bundled_chart_js(admin, usage):  # noqa: F811
    for url in ("/admin/reports/token-usage/", "/admin/reports/ai-cost-analysis/"):
        html = admin.get(url).get_data(as_text=True)
        assert (
            "<canvas" in html and "/static/gen/chart.umd.js" in html and "cdn" not in html.lower()
        )
    script = admin.get("/static/gen/chart.umd.js")
    assert script.status_code == 200 and b"Chart" in script.data[:2000]
