"""What the account page shows: balance, spend and margin, ledger, sites, people, settings,
recent runs and failures. Read-only queries, each bounded."""

from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from .. import analytics, reports
from ..extensions import db
from ..models import (
    ApiToken,
    CreditTransaction,
    CreditUsageLog,
    IntegrationSettings,
    OperationRun,
    Site,
    User,
)
from ..timeutil import utcnow

RECENT = 15
CHART_DAYS = 30


def _newest(model, account_id, *where, limit=RECENT):
    return (
        db.session.execute(
            select(model)
            .where(model.account_id == account_id, *where)
            .order_by(model.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def overview(account) -> dict:
    today = utcnow().date()
    start = today - timedelta(days=CHART_DAYS - 1)
    usd_per_credit = Decimal(str(current_app.config.get("REPORT_USD_PER_CREDIT", "0.10")))
    days = reports.grouped(start, today, "day", filters={"account": account.id})
    by_day = {r["key"]: r for r in days}
    chart = {"labels": [], "cost": [], "revenue": [], "margin": []}
    for day, _ in analytics.daily_series({}, start, today):
        row = by_day.get(day.isoformat())
        cost = row["cost_usd"] if row else Decimal(0)
        revenue = Decimal(row["credits"] if row else 0) * usd_per_credit
        chart["labels"].append(day.isoformat())
        chart["cost"].append(float(cost))
        chart["revenue"].append(float(revenue))
        chart["margin"].append(float(revenue - cost))
    totals = reports.totals(days)
    return {
        "totals": {
            **totals,
            **analytics.margin(totals["credits"], totals["cost_usd"], usd_per_credit),
        },
        "chart": chart,
        "chart_days": CHART_DAYS,
        "ledger": _newest(CreditTransaction, account.id),
        "sites": _newest(Site, account.id, limit=100),
        "users": _newest(User, account.id, limit=100),
        "tokens": db.session.execute(
            select(ApiToken, User.email)
            .join(User, User.id == ApiToken.user_id)
            .where(User.account_id == account.id)
            .order_by(ApiToken.id.desc())
        ).all(),
        "settings": db.session.execute(
            select(IntegrationSettings).where(IntegrationSettings.account_id == account.id)
        ).scalar_one_or_none(),
        "runs": _newest(OperationRun, account.id),
        "failures": _newest(CreditUsageLog, account.id, CreditUsageLog.status == "failed"),
    }
