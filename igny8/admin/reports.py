"""Token Usage and AI Cost Analysis: SQL aggregates, Chart.js charts, CSV and JSON."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from flask import Response, current_app, jsonify, request
from flask_admin import BaseView, expose

from .. import analytics, reports
from ..timeutil import utcnow
from . import security

PRESETS = (7, 30, 90)


def date_range() -> tuple[date, date, int | None]:
    today = utcnow().date()
    try:
        if request.args.get("start") or request.args.get("end"):
            end = date.fromisoformat(request.args.get("end") or today.isoformat())
            start = date.fromisoformat(
                request.args.get("start") or (end - timedelta(days=29)).isoformat()
            )
            return (start, end, None) if start <= end else (end, start, None)
        days = int(request.args.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in PRESETS else 30
    return today - timedelta(days=days - 1), today, days


def plain(value):
    """Report values as people read them: Decimals in fixed notation, floats rounded."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return round(value, 6)
    return value


def _tables_response(tables: dict, name: str):
    """?format=csv&table=NAME downloads one table; ?format=json all of them."""
    fmt = request.args.get("format")
    if fmt == "json":
        return jsonify(
            {
                k: (
                    [{c: plain(v) for c, v in row.items()} for row in rows]
                    if isinstance(rows, list)
                    else {c: plain(v) for c, v in rows.items()}
                )
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


class TokenUsageView(security.SecuredView, BaseView):
    @expose("/")
    def index(self):
        start, end, days = date_range()
        by = {g: reports.grouped(start, end, g) for g in reports.GROUPS}
        series = {r["key"]: r for r in by["day"]}
        daily = [
            {
                "day": d.isoformat(),
                **{
                    k: series.get(d.isoformat(), {}).get(k, 0)
                    for k in (
                        "calls",
                        "input_tokens",
                        "cached_input_tokens",
                        "output_tokens",
                        "credits",
                    )
                },
            }
            for d, _ in analytics.daily_series({}, start, end)
        ]
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
        )


class CostAnalysisView(security.SecuredView, BaseView):
    @expose("/")
    def index(self):
        start, end, days = date_range()
        usd_per_credit = Decimal(str(current_app.config.get("REPORT_USD_PER_CREDIT", "0.10")))
        by = {g: reports.grouped(start, end, g) for g in reports.GROUPS}
        costs = {date.fromisoformat(r["key"]): float(r["cost_usd"]) for r in by["day"]}
        series = analytics.daily_series(costs, start, end)
        prediction = analytics.forecast(series, end)
        outliers = analytics.robust_outliers(series)

        def with_margin(rows):
            return [
                {**r, **analytics.margin(r["credits"], r["cost_usd"], usd_per_credit)} for r in rows
            ]

        tables = {
            "totals": {
                **reports.totals(by["day"]),
                **analytics.margin(
                    sum(r["credits"] for r in by["day"]),
                    sum((r["cost_usd"] for r in by["day"]), Decimal(0)),
                    usd_per_credit,
                ),
            },
            "daily": [{"day": d.isoformat(), "cost_usd": v} for d, v in series],
            "by_model": with_margin(reports.top(by["model"], 20)),
            "by_operation": with_margin(reports.top(by["operation"], 20)),
            "by_account": reports.top(by["account"], 20),
            "by_provider": reports.top(by["provider"], 20),
            "cost_split_by_model": reports.top(by["model"], 20),
            "by_tier": reports.top(by["tier"], 20),
            "forecast": [
                {
                    "method": prediction.method,
                    "month_to_date_usd": prediction.month_to_date,
                    "rest_of_month_usd": prediction.rest_of_month,
                    "month_total_usd": prediction.month_total,
                    "next_30_days_usd": prediction.next_30_days,
                }
            ],
            "anomalous_days": [
                {"day": d.isoformat(), "cost_usd": v, "modified_z": z} for d, v, z in outliers
            ],
            "expensive_calls": reports.expensive_calls(start, end),
        }
        return _tables_response(tables, "ai-cost-analysis") or self.render(
            "admin/reports/cost_analysis.html",
            tables=tables,
            start=start,
            end=end,
            days=days,
            presets=PRESETS,
            usd_per_credit=usd_per_credit,
        )
