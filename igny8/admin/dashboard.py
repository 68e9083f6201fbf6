"""The Home dashboard: today and this month at a glance, the lowest balances, failing
providers. A handful of bounded aggregate queries."""

from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from .. import analytics, reports
from ..extensions import db
from ..models import Account, AIModelConfig, CreditUsageLog
from ..retirement import WARN_DAYS, retirement
from ..timeutil import utcnow
from .monitoring import latency_percentiles

LOG = CreditUsageLog
LOWEST = 8


def period(since) -> dict:
    """Cost, revenue, margin, calls, error rate and p95 latency since the start of the
    day ``since`` (from the daily rollup, as Cost Analysis sums it: revenue from tenants'
    credits only; the latency from the calls themselves)."""
    usd_per_credit = Decimal(str(current_app.config.get("REPORT_USD_PER_CREDIT", "0.10")))
    total = reports.totals(reports.breakdown(since.date(), utcnow().date(), ("day",))["day"])
    calls = total["calls"]
    return {
        **analytics.margin(total["billed_credits"], total["cost_usd"], usd_per_credit),
        "calls": calls,
        "error_rate": (calls - total["succeeded"]) / calls if calls else None,
        "p95_ms": latency_percentiles(since, quantiles=(95,))[95],
    }


def lowest_balances(n: int = LOWEST) -> list[Account]:
    return (
        db.session.execute(
            select(Account)
            .where(Account.is_active, ~Account.is_internal)
            .order_by(Account.credits, Account.name)
            .limit(n)
        )
        .scalars()
        .all()
    )


def failing_providers(hours: int = 1) -> list[dict]:
    """Providers with failed calls in the last hours, worst first."""
    found = [p for p in reports.provider_calls(utcnow() - timedelta(hours=hours)) if p["failed"]]
    return sorted(found, key=lambda r: r["error_rate"], reverse=True)


def retiring_models(today) -> list[tuple[AIModelConfig, str]]:
    """Active models past or within WARN_DAYS of their end of life, soonest first."""
    models = db.session.execute(
        select(AIModelConfig)
        .where(
            AIModelConfig.is_active,
            AIModelConfig.end_of_life.is_not(None),
            AIModelConfig.end_of_life <= today + timedelta(days=WARN_DAYS),
        )
        .order_by(AIModelConfig.end_of_life, AIModelConfig.model_name)
    ).scalars()
    return [(m, retirement(m.end_of_life, today)) for m in models]


def summary() -> dict:
    now = utcnow()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "today": period(today),
        "month": period(today.replace(day=1)),
        "lowest_balances": lowest_balances(),
        "failing_providers": failing_providers(),
        "retiring_models": retiring_models(now.date()),
    }
