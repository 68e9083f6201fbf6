"""Token Usage and AI Cost Analysis: SQL aggregates, Chart.js charts, CSV and JSON."""

import csv
import io
import math
from datetime import date, timedelta
from decimal import Decimal

from flask import Response, current_app, jsonify, request
from flask_admin import BaseView, expose

from .. import analytics, formatting, reports
from ..billing.pricing import USD_PLACES
from ..timeutil import utcnow
from . import security

PRESETS = (7, 30, 90)


def date_range() -> tuple[date, date, int | None]:
    """The range asked for; analytics.RangeError (shown to the admin) when it is not one."""
    today = utcnow().date()
    if request.args.get("start") or request.args.get("end"):
        try:
            end = date.fromisoformat(request.args.get("end") or today.isoformat())
            start = date.fromisoformat(
                request.args.get("start") or (end - timedelta(days=29)).isoformat()
            )
        except ValueError:
            raise analytics.RangeError(
                "dates are YYYY-MM-DD, e.g. 2026-11-01; "
                f"got start={request.args.get('start')!r} end={request.args.get('end')!r}"
            ) from None
        return start, end, None
    days = request.args.get("days", "30")
    if not days.isdigit() or int(days) not in PRESETS:
        raise analytics.RangeError(f"days is one of {', '.join(map(str, PRESETS))}, not {days!r}")
    return today - timedelta(days=int(days) - 1), today, int(days)


def report_args():
    """(start, end, days, grouping, filters) of the request; analytics.RangeError when the
    range or a filter cannot be shown."""
    start, end, days = date_range()
    grouping = analytics.report_range(start, end)
    return start, end, days, grouping, report_filters()


def report_filters() -> dict:
    """?account=ID&model=NAME&operation=KEY&provider=NAME, the ones given."""
    found = {k: request.args.get(k) for k in reports.FILTERS if request.args.get(k)}
    if "account" in found:
        if not found["account"].isdigit():
            raise analytics.RangeError(f"account is an account id, not {found['account']!r}")
        found["account"] = int(found["account"])
    return found


def _range_error(view, error):
    """A range that cannot be shown: said on the page (or in the JSON), status 400."""
    if request.args.get("format") in ("json", "csv"):
        return jsonify({"error": {"code": "validation_error", "message": str(error)}}), 400
    return view.render("admin/reports/range_error.html", message=str(error)), 400


def plain(value):
    """Report values for machines (CSV): Decimals in fixed notation, floats rounded."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def _json_row(row: dict) -> dict:
    """Money as a decimal string and, beside it, as a number (``<name>_number``)."""
    out = {}
    for column, value in row.items():
        if formatting.is_money(column) and isinstance(value, Decimal | float):
            exact = value if isinstance(value, Decimal) else Decimal(repr(value))
            exact = exact.quantize(USD_PLACES) if exact.is_finite() else None
            out[column] = format(exact, "f") if exact is not None else None
            out[f"{column}_number"] = float(exact) if exact is not None else None
        else:
            out[column] = plain(value)
    return out


def _tables_response(tables: dict, name: str):
    """?format=csv&table=NAME downloads one table; ?format=json all of them."""
    fmt = request.args.get("format")
    if fmt == "json":
        return jsonify(
            {
                k: [_json_row(row) for row in rows] if isinstance(rows, list) else _json_row(rows)
                for k, rows in tables.items()
            }
        )
    if fmt == "csv":
        table = request.args.get("table")
        rows = tables.get(table)
        if not isinstance(rows, list):
            return Response(
                f"no table {table!r}; tables: {', '.join(k for k, v in tables.items() if isinstance(v, list))}",
                status=404,
                mimetype="text/plain",
            )
        out = io.StringIO()
        columns = list(rows[0]) if rows else ["key"]
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows({c: plain(r.get(c)) for c in columns} for r in rows)
        return Response(
            out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}-{table}.csv"},
        )
    return None


DAILY_COUNTS = ("calls", "input_tokens", "cached_input_tokens", "output_tokens", "credits")


class TokenUsageView(security.SecuredView, BaseView):
    @expose("/")
    def index(self):
        try:
            start, end, days, grouping, filters = report_args()
        except analytics.RangeError as error:
            return _range_error(self, error)
        by = reports.breakdown(
            start, end, ("day", "model", "operation", "account", "provider"), filters
        )
        per_day = {date.fromisoformat(r["key"]): r for r in by["day"]}
        daily = []
        for counter in DAILY_COUNTS:
            series = analytics.daily_series({d: r[counter] for d, r in per_day.items()}, start, end)
            for i, (bucket, value) in enumerate(analytics.grouped_series(series, grouping)):
                if counter == DAILY_COUNTS[0]:
                    daily.append({"day": bucket.isoformat()})
                daily[i][counter] = int(value)
        tables = {
            "totals": reports.totals(by["day"]),
            "daily": daily,
            **{
                f"by_{g}": reports.top(by[g], 20, "calls")
                for g in ("model", "operation", "account", "provider")
            },
        }
        return _tables_response(tables, "token-usage") or self.render(
            "admin/reports/token_usage.html",
            tables=tables,
            start=start,
            end=end,
            days=days,
            presets=PRESETS,
            grouping=grouping,
            filters=filters,
            choices=reports.filter_choices(),
        )


class CostAnalysisView(security.SecuredView, BaseView):
    @expose("/")
    def index(self):
        try:
            start, end, days, grouping, filters = report_args()
        except analytics.RangeError as error:
            return _range_error(self, error)
        usd_per_credit = Decimal(str(current_app.config.get("REPORT_USD_PER_CREDIT", "0.10")))
        by = reports.breakdown(start, end, (*reports.GROUPS, "day_model"), filters)
        costs = {date.fromisoformat(r["key"]): float(r["cost_usd"]) for r in by["day"]}
        series = analytics.daily_series(costs, start, end)
        # The forecast and month to date do not depend on the range shown (the range's own
        # days are reused when they cover the forecast's window).
        today = utcnow().date()
        window_start, _ = analytics.forecast_window(today)
        if not (start <= window_start and today <= end):
            trailing_days = reports.breakdown(window_start, today, ("day",), filters)["day"]
            costs = {date.fromisoformat(r["key"]): float(r["cost_usd"]) for r in trailing_days}
        trailing = analytics.daily_series(costs, window_start, today)
        month_to_date = float(reports.cost_between(today.replace(day=1), today, filters))
        prediction = analytics.forecast(
            trailing, today, month_to_date, since=reports.first_usage_day(filters)
        )
        outliers = analytics.robust_outliers(series)

        def with_margin(rows):
            # Revenue from tenants' credits only: an internal account's calls are cost.
            return [
                {**r, **analytics.margin(r["billed_credits"], r["cost_usd"], usd_per_credit)}
                for r in rows
            ]

        accounts = with_margin(reports.top(by["account"], len(by["account"])))

        tables = {
            "totals": {
                **reports.totals(by["day"]),
                **analytics.margin(
                    sum(r["billed_credits"] for r in by["day"]),
                    sum((r["cost_usd"] for r in by["day"]), Decimal(0)),
                    usd_per_credit,
                ),
            },
            "daily": [
                {"day": d.isoformat(), "cost_usd": v}
                for d, v in analytics.grouped_series(series, grouping)
            ],
            "by_model": with_margin(reports.top(by["model"], 20)),
            "by_operation": with_margin(reports.top(by["operation"], 20)),
            "by_account": [r for r in accounts if not r["internal"]][:20],
            "by_api_token": with_margin(reports.spend_by_caller(start, end, "token", filters)),
            "by_user": with_margin(reports.spend_by_caller(start, end, "user", filters)),
            "internal_accounts": [r for r in accounts if r["internal"]],
            "by_provider": reports.top(by["provider"], 20),
            "cost_split_by_model": reports.top(by["model"], 20),
            "by_tier": reports.top(by["tier"], 20),
            "forecast": [
                {
                    "method": prediction.method,
                    "month_to_date_usd": prediction.month_to_date,
                    "rest_of_month_usd": prediction.rest_of_month,
                    "month_total_usd": prediction.month_total,
                    "month_total_low_usd": _end(prediction.month_total_range, 0),
                    "month_total_high_usd": _end(prediction.month_total_range, 1),
                    "next_30_days_usd": prediction.next_30_days,
                    "next_30_days_low_usd": _end(prediction.next_30_days_range, 0),
                    "next_30_days_high_usd": _end(prediction.next_30_days_range, 1),
                    "fitted_from": prediction.fitted_from.isoformat()
                    if prediction.fitted_from
                    else None,
                }
            ],
            "anomalous_days": [
                {"day": d.isoformat(), "cost_usd": v, "modified_z": z} for d, v, z in outliers
            ],
            "expensive_calls": reports.expensive_calls(
                start, end, by["operation"], filters=filters
            ),
        }
        return _tables_response(tables, "ai-cost-analysis") or self.render(
            "admin/reports/cost_analysis.html",
            tables=tables,
            start=start,
            end=end,
            days=days,
            presets=PRESETS,
            usd_per_credit=usd_per_credit,
            grouping=grouping,
            filters=filters,
            choices=reports.filter_choices(),
            stacked=cost_chart(by["day_model"], start, end, grouping, usd_per_credit),
        )


def _end(interval, which: int):
    """One end of a prediction interval, or None when there is none."""
    return None if interval is None else interval[which]


def cost_chart(day_model, start, end, grouping, usd_per_credit) -> dict:
    """Cost per model per day (week, month), stacked, with revenue and margin lines, from
    the rows of ``reports.breakdown``'s "day_model" grouping."""
    buckets = [
        b for b, _ in analytics.grouped_series(analytics.daily_series({}, start, end), grouping)
    ]
    index = {b: i for i, b in enumerate(buckets)}
    per_model: dict[str, list[float]] = {}
    credits = [0] * len(buckets)
    for row in day_model:
        i = index[analytics.bucket_start(row["day"], grouping)]
        per_model.setdefault(row["model"], [0.0] * len(buckets))[i] += float(row["cost_usd"])
        credits[i] += row["billed_credits"]
    revenue = [float(c * usd_per_credit) for c in credits]
    cost = [sum(series[i] for series in per_model.values()) for i in range(len(buckets))]
    return {
        "labels": [b.isoformat() for b in buckets],
        "models": per_model,
        "revenue": revenue,
        "margin": [r - c for r, c in zip(revenue, cost, strict=True)],
    }
