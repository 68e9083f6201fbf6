"""Reports: SQL aggregates equal sums worked by hand; forecast and anomaly maths."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from metering_support import model_named
from test_admin import admin, admin_user  # noqa: F401  (fixtures)

from igny8 import analytics
from igny8.extensions import db
from igny8.models import Account, CreditUsageLog
from igny8.timeutil import utcnow


def test_least_squares_and_forecast():
    trend = analytics.least_squares([1.0, 2.0, 3.0, 4.0])
    assert (round(trend.slope, 9), round(trend.intercept, 9)) == (1.0, 1.0)
    assert analytics.least_squares([5.0]).at(10) == 5.0
    days = [
        (date(2026, 11, 1) + timedelta(days=i), float(i + 1)) for i in range(20)
    ]  # 1, 2, ... 20
    f = analytics.forecast(days, today=date(2026, 11, 20), month_to_date=210.0)
    # Month to date 1+...+20 = 210; the line continues 21..30 for the 10 days left = 255.
    assert (f.month_to_date, round(f.rest_of_month, 6), round(f.month_total, 6)) == (
        210.0,
        255.0,
        465.0,
    )
    assert round(f.next_30_days, 6) == sum(range(21, 51))
    assert f.method == "least-squares linear trend of the last 20 days' cost"
    falling = [(date(2026, 11, 1) + timedelta(days=i), float(10 - i)) for i in range(10)]
    assert analytics.forecast(falling, date(2026, 11, 10), 55.0).next_30_days == 0  # never < 0
    # The window is fixed: the 28 days ending today.
    assert analytics.forecast_window(date(2026, 12, 1)) == (date(2026, 11, 4), date(2026, 12, 1))


def test_the_forecast_fits_only_days_since_the_first_usage_and_gives_a_range_by_hand():
    """Five days of usage, 2, 4, 3, 5, 6 USD, ending on 28 November (a 30-day month: two
    days left), by a tenant who began on the 24th. By hand: x = 0..4, x̄ = 2, Sxx = 10,
    ȳ = 4, Sxy = 9, so slope 0.9 and intercept 2.2; fitted 2.2, 3.1, 4.0, 4.9, 5.8;
    SSE = 0.04 + 0.81 + 1.00 + 0.01 + 0.04 = 1.9, s = sqrt(1.9 / 3). The two days ahead
    (x = 5, 6) are 6.7 + 7.6 = 14.3; the interval's half width is
    t(3) · s · sqrt(k + k²/n + (Σ(x_h − x̄))²/Sxx) = 3.182 · s · sqrt(2 + 4/5 + 49/10)."""
    today = date(2026, 11, 28)
    window_start, _ = analytics.forecast_window(today)
    costs = {date(2026, 11, 24) + timedelta(days=i): v for i, v in enumerate([2, 4, 3, 5, 6])}
    trailing = analytics.daily_series(costs, window_start, today)  # 23 zero days, then 5
    f = analytics.forecast(trailing, today, month_to_date=20.0, since=date(2026, 11, 24))
    assert f.fitted_from == date(2026, 11, 24)
    assert f.method == (
        "least-squares linear trend of the last 5 days' cost, since the first usage on 2026-11-24"
    )
    assert round(f.rest_of_month, 9) == 14.3 and round(f.month_total, 9) == 34.3
    half = 3.182 * (1.9 / 3) ** 0.5 * (2 + 4 / 5 + 49 / 10) ** 0.5
    assert round(half, 4) == 7.0269
    low, high = f.month_total_range
    assert (round(low, 9), round(high, 9)) == (round(34.3 - half, 9), round(34.3 + half, 9))
    # The next 30 days, x = 5..34: 30 · 2.2 + 0.9 · 585 = 592.5; Σ(x_h − x̄) = 585 − 60 = 525.
    assert round(f.next_30_days, 9) == 592.5
    half_30 = 3.182 * (1.9 / 3) ** 0.5 * (30 + 30**2 / 5 + 525**2 / 10) ** 0.5
    assert [round(v, 6) for v in f.next_30_days_range] == [
        round(592.5 - half_30, 6),
        round(592.5 + half_30, 6),
    ]
    # Counted from the window's start, the 23 days before the tenant existed pull the line
    # down: what the admin saw before (a month running at ~$4.60 a day forecast lower).
    naive = analytics.forecast(trailing, today, month_to_date=20.0)
    assert naive.method == "least-squares linear trend of the last 28 days' cost"
    assert naive.rest_of_month < f.rest_of_month
    # Under three days of usage there is no spread to judge: no range.
    short = analytics.forecast(trailing, today, 11.0, since=date(2026, 11, 27))
    assert short.month_total_range is None and short.next_30_days_range is None


def test_robust_outliers():
    series = [
        (date(2026, 1, i + 1), v) for i, v in enumerate([10, 11, 9, 10, 12, 10, 95, 11, 10, 9])
    ]
    outliers = analytics.robust_outliers(series)
    # median 10, MAD 1 (deviations 0,1,1,0,2,0,85,1,0,1): z = 0.6745 x 85 / 1 = 57.3325
    assert [(d.day, v, round(z, 4)) for d, v, z in outliers] == [(7, 95, 57.3325)]
    # Fewer than 7 days with usage: nothing to say.
    assert analytics.robust_outliers(series[:6]) == []


def test_outliers_when_half_the_days_are_idle():
    # 8 active days among 20: median 0, MAD 0 -> MeanAD = (7 x 2 + 30) / 20 = 2.2;
    # z = (x - 0) / (1.253314 x 2.2 = 2.7572908): 2 -> 0.7254, 30 -> 10.8802. Never inf.
    values = [0.0] * 12 + [2.0] * 7 + [30.0]
    series = [(date(2026, 1, 1) + timedelta(days=i), v) for i, v in enumerate(values)]
    outliers = analytics.robust_outliers(series)
    assert [(v, round(z, 4)) for _, v, z in outliers] == [(30.0, 10.8802)]
    # Every active day alike and MeanAD 0: no anomaly, no division by zero.
    flat = [(date(2026, 1, 1) + timedelta(days=i), 5.0) for i in range(10)]
    assert analytics.robust_outliers(flat) == []


def test_report_ranges_are_checked_and_long_ones_grouped():
    d = date(2026, 1, 1)
    assert analytics.report_range(d, d + timedelta(days=91)) == "day"  # 92 days
    assert analytics.report_range(d, d + timedelta(days=92)) == "week"  # 93
    assert analytics.report_range(d, d + timedelta(days=366)) == "month"  # 367
    for start, end, message in (
        (d, d - timedelta(days=1), "is after the end"),
        (d, d + timedelta(days=731), "at most 731 days"),
    ):
        with pytest.raises(analytics.RangeError, match=message):
            analytics.report_range(start, end)
    # 2026-01-01 is a Thursday: its week starts Monday 2025-12-29.
    series = [(d + timedelta(days=i), 1.0) for i in range(10)]
    assert analytics.grouped_series(series, "week") == [
        (date(2025, 12, 29), 4.0),
        (date(2026, 1, 5), 6.0),
    ]
    assert analytics.grouped_series(series, "month") == [(date(2026, 1, 1), 10.0)]


def test_cost_per_1k_tokens_counts_text_only():
    from igny8.reports import text_cost_per_1k

    total = {
        "input_tokens": 3050,  # 50 of them an image prompt's text... and 1,000 image input
        "output_tokens": 5160,  # 4,160 of them an image
        "image_input_tokens": 1000,
        "image_output_tokens": 4160,
        "cost_usd_input": Decimal("0.004"),
        "cost_usd_cached": Decimal("0.001"),
        "cost_usd_cache_write": Decimal("0.002"),
        "cost_usd_output": Decimal("0.003"),
        "cost_usd_images": Decimal("0.1766"),  # not text: left out
    }
    # 0.010 USD of text over 3,050 text tokens (2,050 in + 1,000 out) = 0.00327869 per 1k
    assert text_cost_per_1k(total) == Decimal("0.00327869")
    assert text_cost_per_1k({**total, "input_tokens": 1000, "output_tokens": 4160}) is None


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
                    cost_usd_input=Decimal(cost),
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
    # text cost parts 0.65 USD over 7,900 text tokens = 0.08227848 per 1k
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
        "0.80000000",
        "0.65000000",
        "0.15000000",
        1,
    )
    # the same figures as numbers, beside the decimal strings
    assert (t["revenue_usd_number"], t["cost_usd_number"], t["margin_usd_number"]) == (
        0.8,
        0.65,
        0.15,
    )
    ops = {
        r["key"]: (r["cost_usd"], r["revenue_usd"], r["margin_usd"]) for r in data["by_operation"]
    }
    assert ops["content_generation"] == ("0.35000000", "0.50000000", "0.15000000")
    assert data["forecast"][0]["method"] == "least-squares linear trend of the last 28 days' cost"
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


def test_bad_ranges_are_a_visible_error(admin, usage):  # noqa: F811
    for query, message in (
        ("start=2026-13-01", "dates are YYYY-MM-DD"),
        ("start=1026-01-01&end=2026-01-01", "reports show at most 731 days"),
        ("start=2026-02-01&end=2026-01-01", "is after the end"),
        ("days=45", "days is one of 7, 30, 90"),
    ):
        for url in ("/admin/reports/token-usage/", "/admin/reports/ai-cost-analysis/"):
            page = admin.get(f"{url}?{query}")
            assert page.status_code == 400 and message in page.get_data(as_text=True), query
            data = admin.get(f"{url}?{query}&format=json")
            assert data.status_code == 400 and message in data.json["error"]["message"]


def test_forecast_and_month_to_date_do_not_depend_on_the_range_shown(admin, usage):  # noqa: F811
    shown = [
        admin.get(f"/admin/reports/ai-cost-analysis/?{q}&format=json").json["forecast"][0]
        for q in (
            "days=7",
            "days=30",
            "days=90",
            f"start={(utcnow() - timedelta(days=400)).date()}",
        )
    ]
    assert all(f == shown[0] for f in shown)
    # Month to date is the calendar month: the fixture's rows of this month, by hand.
    today = utcnow().date()
    expected = sum(
        cost
        for ago, cost in ((0, 0.10), (1, 0.30), (1, 0.05), (2, 0.20))
        if (today - timedelta(days=ago)).month == today.month
    )
    assert round(shown[0]["month_to_date_usd_number"], 8) == round(expected, 8)


def test_long_ranges_group_by_week_and_month(admin, usage):  # noqa: F811
    today = utcnow().date()
    weekly = admin.get(
        f"/admin/reports/token-usage/?start={today - timedelta(days=120)}&end={today}&format=json"
    ).json
    days = [date.fromisoformat(d["day"]) for d in weekly["daily"]]
    assert all(d.weekday() == 0 for d in days) and len(days) in (18, 19)
    assert sum(d["calls"] for d in weekly["daily"]) == 5
    monthly = admin.get(
        f"/admin/reports/ai-cost-analysis/?start={today - timedelta(days=500)}&end={today}&format=json"
    ).json
    assert all(date.fromisoformat(d["day"]).day == 1 for d in monthly["daily"])
    assert sum(Decimal(d["cost_usd"]) for d in monthly["daily"]) == Decimal("9.65")


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal("21.46381000"), "$21.46"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0E-8"), "$0.00"),
        (Decimal("0.00042"), "$0.00042"),
        (Decimal("0.00333333"), "$0.0033"),
        (Decimal("0.00000001"), "$0.00000001"),
        (Decimal("-3.456"), "-$3.46"),
        (0.1, "$0.10"),
        (None, "—"),
        (float("inf"), "—"),
    ],
)
def test_one_money_format(value, text):
    from igny8.formatting import money

    assert money(value) == text


def test_report_filters_match_hand_sums(admin, usage):  # noqa: F811
    def totals(query):
        return admin.get(f"/admin/reports/token-usage/?days=30&{query}&format=json").json["totals"]

    with admin.application.app_context():
        from igny8.models import Account

        beta = db.session.execute(db.select(Account.id).where(Account.name == "Beta")).scalar()
    # Beta: 500 + 800 input, 0.05 + 0.20 cost (its 100-day-old row is outside)
    beta_totals = totals(f"account={beta}")
    assert (beta_totals["calls"], beta_totals["input_tokens"], beta_totals["cost_usd"]) == (
        2,
        1300,
        "0.25000000",
    )
    assert totals("model=gpt-4o")["cost_usd"] == "0.35000000"
    assert totals("operation=clustering")["calls"] == 1
    assert totals("provider=anthropic")["output_tokens"] == 400
    cost = admin.get("/admin/reports/ai-cost-analysis/?days=30&provider=openai&format=json").json
    assert cost["totals"]["cost_usd"] == "0.45000000"
    assert admin.get("/admin/reports/token-usage/?account=x").status_code == 400


def test_report_pages_read_as_people_read(admin, usage):  # noqa: F811
    for url in ("/admin/reports/token-usage/?days=30", "/admin/reports/ai-cost-analysis/?days=30"):
        html = admin.get(url).get_data(as_text=True)
        for bad in ("0E-8", ">None<", "inf<", "cost_usd", "input_tokens<"):
            assert bad not in html, (url, bad)
        assert "$0.65" in html and "Every account" in html
    cost = admin.get("/admin/reports/ai-cost-analysis/?days=30").get_data(as_text=True)
    assert "Credit revenue" in cost and "text: 'Provider cost (USD, bars)'" in cost
    assert "No anomalous day in this range." in cost  # usage, but no anomaly


def test_percentile_interpolates_like_percentile_cont():
    # ranks 0..4 of [10, 20, 30, 40, 50]: p50 is rank 2; p95 is 3.8 -> 40 + 0.8 x 10
    assert analytics.percentile([10, 20, 30, 40, 50], 50) == 30
    assert analytics.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert analytics.percentile([7], 95) == 7
    assert analytics.percentile([], 50) is None


def test_expensive_calls_cost_over_3x_their_operation_mean(admin, app, make_tenant):  # noqa: F811
    t = make_tenant()
    now = utcnow()
    with app.app_context():
        model = model_named("gpt-4o-mini")
        # nine calls at 0.01 and one at 1.00: mean 0.109, bar 0.327
        costs = [("clustering", "0.01", 1)] * 9 + [("clustering", "1.00", 1)]
        costs += [("clustering", "5.00", 100)]  # outside the 30 days shown
        costs += [("linking", "0.30", 1)]  # the only linking call: its own mean
        for n, (op, cost, ago) in enumerate(costs):
            db.session.add(
                CreditUsageLog(
                    account_id=t.account_id,
                    operation=op,
                    provider=model.provider,
                    model_config_id=model.id,
                    request_id=f"x{n}",
                    status="success",
                    cost_usd_input=Decimal(cost),
                    cost_usd_total=Decimal(cost),
                    created_at=now - timedelta(days=ago),
                )
            )
        db.session.commit()
    data = admin.get("/admin/reports/ai-cost-analysis/?days=30&format=json").json
    found = [
        (r["request_id"], r["cost_usd"], r["operation_mean_usd"]) for r in data["expensive_calls"]
    ]
    assert found == [("x9", "1.00000000", "0.10900000")]
    with app.app_context():
        name = db.session.get(Account, t.account_id).name
    assert [(r["account"], r["model"]) for r in data["expensive_calls"]] == [(name, "gpt-4o-mini")]
    mine = admin.get(
        f"/admin/reports/ai-cost-analysis/?days=30&account={t.account_id}&format=json"
    ).json["expensive_calls"]
    other = make_tenant()
    theirs = admin.get(
        f"/admin/reports/ai-cost-analysis/?days=30&account={other.account_id}&format=json"
    ).json["expensive_calls"]
    assert [r["request_id"] for r in mine] == ["x9"] and theirs == []


def test_cost_analysis_shows_margin_per_account_and_keeps_internal_accounts_out_of_revenue(
    app,
    admin,  # noqa: F811
    usage,
):
    """By hand, over 30 days at $0.10 a credit: Alpha 7 credits ($0.70) against $0.40 of
    cost, Beta 1 credit ($0.10) against $0.25. The admin's internal test account spends
    $1.00 for 50 credits: its cost counts, its credits are no revenue."""
    from igny8 import accounts

    with app.app_context():
        internal = accounts.admin_tests_account()
        db.session.add(
            CreditUsageLog(
                account_id=internal.id,
                operation="clustering",
                provider="openai",
                model_config_id=model_named("gpt-4o").id,
                request_id="internal-test",
                credits_used=50,
                cost_usd_input=Decimal("1.00"),
                cost_usd_total=Decimal("1.00"),
                created_at=utcnow(),
            )
        )
        db.session.commit()
        internal_name = internal.name
    data = admin.get("/admin/reports/ai-cost-analysis/?days=30&format=json").json
    tenants = {r["key"]: r for r in data["by_account"]}
    assert set(tenants) == {"Alpha", "Beta"}
    assert (tenants["Alpha"]["revenue_usd"], tenants["Alpha"]["margin_usd"]) == (
        "0.70000000",
        "0.30000000",
    )
    assert (tenants["Beta"]["revenue_usd"], tenants["Beta"]["margin_usd"]) == (
        "0.10000000",
        "-0.15000000",
    )
    assert round(tenants["Alpha"]["margin_pct"], 6) == round(0.30 / 0.70 * 100, 6)
    assert [(r["key"], r["cost_usd"], r["credits"]) for r in data["internal_accounts"]] == [
        (internal_name, "1.00000000", 50)
    ]
    # Totals: revenue is the tenants' 8 credits ($0.80), the cost everyone's ($1.65).
    t = data["totals"]
    assert (t["revenue_usd"], t["cost_usd"], t["margin_usd"]) == (
        "0.80000000",
        "1.65000000",
        "-0.85000000",
    )
    html = admin.get("/admin/reports/ai-cost-analysis/?days=30").get_data(as_text=True)
    assert "yAxisID: 'revenue'" in html and "Revenue and margin (USD, lines)" in html


def test_cost_analysis_tells_spend_per_api_token_and_per_user(app, admin, client, tenant):  # noqa: F811
    """Two users of one account, each with an API token: the owner clusters the keywords,
    the other asks for one cluster's ideas; a run started from the CLI has no caller. Each table's
    figures are the usage rows of that caller's runs, summed here by hand."""
    from content_support import KEYWORDS, use_offline
    from sqlalchemy import func, select

    from igny8 import accounts
    from igny8.ai.engine import run_operation
    from igny8.models import Cluster, OperationRun, User

    use_offline(app)
    with app.app_context():
        owner = db.session.get(User, tenant.user_id)
        other = accounts.create_user("writer@example.test", None, owner.account)
        other.role = "editor"
        writer_token = accounts.issue_token(other, name="writer bot")
        db.session.commit()
        owner_email, other_id = owner.email, other.id
    site = tenant.site_id
    mine = {"Authorization": f"Bearer {tenant.token}"}
    theirs = {"Authorization": f"Bearer {writer_token}"}
    assert (
        client.post(
            f"/api/v1/sites/{site}/keywords", json={"keywords": KEYWORDS}, headers=mine
        ).status_code
        == 201
    )
    assert (
        client.post(f"/api/v1/sites/{site}/keywords/cluster", json={}, headers=mine).status_code
        == 200
    )
    with app.app_context():
        clusters = (
            db.session.execute(select(Cluster.id).where(Cluster.site_id == site)).scalars().all()
        )
    answer = client.post(
        f"/api/v1/sites/{site}/clusters/ideas", json={"cluster_ids": clusters[:1]}, headers=theirs
    )
    assert answer.status_code == 200 and answer.json["run"]["status"] == "succeeded"
    with app.app_context():
        # The CLI's way: a run no request started.
        run_operation(tenant.account_id, "idea_generation", clusters[:1], site_id=site)

        def spent(**where):
            return db.session.execute(
                select(func.count(CreditUsageLog.id), func.sum(CreditUsageLog.credits_used))
                .join(OperationRun, OperationRun.id == CreditUsageLog.run_id)
                .where(*(getattr(OperationRun, k) == v for k, v in where.items()))
            ).one()

        by_owner = spent(user_id=tenant.user_id)
        by_writer = spent(user_id=other_id)
        by_nobody = spent(user_id=None)
        writer_prefix = db.session.execute(
            select(accounts.ApiToken.token_prefix).where(accounts.ApiToken.user_id == other_id)
        ).scalar_one()
    assert by_owner[0] >= 1 and by_writer[0] == 1 and by_nobody[0] == 1
    data = admin.get("/admin/reports/ai-cost-analysis/?days=7&format=json").json
    users = {r["key"]: (r["calls"], r["credits"]) for r in data["by_user"]}
    assert users == {
        owner_email: (by_owner[0], by_owner[1]),
        "writer@example.test": (by_writer[0], by_writer[1]),
        "(no API caller: the CLI or a pipeline)": (by_nobody[0], by_nobody[1]),
    }
    tokens = {r["key"]: r for r in data["by_api_token"]}
    writer = tokens[f"writer bot ({writer_prefix}…) of writer@example.test"]
    assert (writer["calls"], writer["credits"]) == (by_writer[0], by_writer[1])
    assert writer["revenue_usd"] == f"{Decimal(by_writer[1]) * Decimal('0.10'):.8f}"
