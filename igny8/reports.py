"""Usage aggregated in SQL (GROUP BY), for the admin reports and GET /api/v1/usage."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from . import analytics
from .extensions import db
from .models import Account, AIModelConfig, CreditCostConfig, CreditUsageLog, UsageDaily
from .models.billing import COST_PARTS, TOKEN_COUNTS

LOG = CreditUsageLog
R = UsageDaily
TOKEN_SUMS = TOKEN_COUNTS
GROUPS = ("day", "model", "operation", "account", "provider", "tier")
CENTS = Decimal("0.00000001")


def _key(group_by: str):
    return {
        "day": R.day,
        "model": func.coalesce(AIModelConfig.model_name, "(deleted model)"),
        "operation": R.operation,
        "account": func.coalesce(Account.name, "(deleted account)"),
        "provider": R.provider,
        # which prices applied: service tier, and a prompt-size tier when one was passed
        "tier": case((R.price_tier == "", "(not recorded)"), else_=R.price_tier),
    }[group_by]


FILTERS = ("account", "model", "operation", "provider")


def _filtered(query, filters: dict | None, table=None):
    """Only the usage of one account (id), model (name), operation or provider."""
    table = R if table is None else table
    filters = filters or {}
    if filters.get("account"):
        query = query.where(table.account_id == filters["account"])
    if filters.get("model"):
        query = query.where(
            table.model_config_id.in_(
                select(AIModelConfig.id).where(AIModelConfig.model_name == filters["model"])
            )
        )
    if filters.get("operation"):
        query = query.where(table.operation == filters["operation"])
    if filters.get("provider"):
        query = query.where(table.provider == filters["provider"])
    return query


def _in_range(start: date, end: date):
    return (R.day >= start, R.day <= end)


def grouped(
    start: date,
    end: date,
    group_by: str,
    account_id: int | None = None,
    filters: dict | None = None,
) -> list[dict]:
    """Calls, tokens, credits, unbilled credits, cost and successes per key, start to end
    inclusive, from the daily rollup (models.UsageDaily): a scan of days, not of calls."""
    key = _key(group_by).label("key")
    query = (
        select(
            key,
            func.coalesce(func.sum(R.calls), 0).label("calls"),
            *(func.coalesce(func.sum(getattr(R, c)), 0).label(c) for c in TOKEN_SUMS),
            func.coalesce(func.sum(R.credits_used), 0).label("credits"),
            func.coalesce(func.sum(R.credits_unbilled), 0).label("credits_unbilled"),
            func.coalesce(func.sum(R.cost_usd_total), 0).label("cost_usd"),
            *(func.coalesce(func.sum(getattr(R, c)), 0).label(c) for c in COST_PARTS),
            func.coalesce(func.sum(case((R.status == "success", R.calls), else_=0)), 0).label(
                "succeeded"
            ),
        )
        .where(*_in_range(start, end))
        .group_by(key)
        .order_by(key)
    )
    if group_by == "model":
        query = query.outerjoin(AIModelConfig, AIModelConfig.id == R.model_config_id)
    if group_by == "account":
        query = query.outerjoin(Account, Account.id == R.account_id)
    if account_id is not None:
        query = query.where(R.account_id == account_id)
    query = _filtered(query, filters)
    rows = []
    for row in db.session.execute(query):
        key_value = row.key.isoformat() if isinstance(row.key, date) else str(row.key)
        item = {"key": key_value, "calls": int(row.calls)}
        item.update({c: int(getattr(row, c)) for c in TOKEN_SUMS})
        item.update(
            credits=int(row.credits),
            credits_unbilled=int(row.credits_unbilled),
            cost_usd=Decimal(row.cost_usd).quantize(CENTS),
            succeeded=int(row.succeeded or 0),
        )
        item.update({c: Decimal(getattr(row, c)).quantize(CENTS) for c in COST_PARTS})
        rows.append(item)
    return rows


def totals(rows: list[dict]) -> dict:
    keys = ("calls", *TOKEN_SUMS, "credits", "credits_unbilled", "succeeded")
    total = {k: sum(r[k] for r in rows) for k in keys}
    total["cost_usd"] = sum((r["cost_usd"] for r in rows), Decimal(0))
    for part in COST_PARTS:
        total[part] = sum((r[part] for r in rows), Decimal(0))
    total["success_rate"] = total["succeeded"] / total["calls"] if total["calls"] else None
    total["cost_per_1k_tokens"] = text_cost_per_1k(total)
    return total


def text_cost_per_1k(total: dict) -> Decimal | None:
    """What 1,000 text tokens cost: text cost parts over text tokens (images apart)."""
    tokens = (
        total["input_tokens"]
        + total["output_tokens"]
        - total["image_input_tokens"]
        - total["image_output_tokens"]
    )
    cost = sum(
        (
            total[p]
            for p in (
                "cost_usd_input",
                "cost_usd_cached",
                "cost_usd_cache_write",
                "cost_usd_output",
            )
        ),
        Decimal(0),
    )
    return (cost / tokens * 1000).quantize(CENTS) if tokens else None


def cost_by_day_and_model(start: date, end: date, filters: dict | None = None) -> list[tuple]:
    """(day, model name, cost, credits) for each day and model with usage."""
    model = func.coalesce(AIModelConfig.model_name, "(deleted model)").label("model")
    query = (
        select(
            R.day,
            model,
            func.coalesce(func.sum(R.cost_usd_total), 0),
            func.coalesce(func.sum(R.credits_used), 0),
        )
        .outerjoin(AIModelConfig, AIModelConfig.id == R.model_config_id)
        .where(*_in_range(start, end))
        .group_by(R.day, model)
    )
    return [
        (d if isinstance(d, date) else date.fromisoformat(str(d)), m, Decimal(c), int(k))
        for d, m, c, k in db.session.execute(_filtered(query, filters))
    ]


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """What each report filter offers: (value, label)."""
    accounts = db.session.execute(select(Account.id, Account.name).order_by(Account.name)).all()
    models = db.session.execute(
        select(AIModelConfig.model_name).order_by(AIModelConfig.model_name)
    ).scalars()
    operations = db.session.execute(
        select(CreditCostConfig.operation).order_by(CreditCostConfig.operation)
    )
    providers = db.session.execute(
        select(AIModelConfig.provider).distinct().order_by(AIModelConfig.provider)
    )
    return {
        "account": [(str(i), n) for i, n in accounts],
        "model": [(m, m) for m in models],
        "operation": [(o, o) for (o,) in operations],
        "provider": [(p, p) for (p,) in providers],
    }


def cost_between(start: date, end: date, filters: dict | None = None) -> Decimal:
    """All usage cost from start to end inclusive."""
    query = select(func.coalesce(func.sum(R.cost_usd_total), 0)).where(*_in_range(start, end))
    total = db.session.execute(_filtered(query, filters)).scalar()
    return Decimal(total).quantize(CENTS)


def top(rows: list[dict], n: int = 10, by: str = "cost_usd") -> list[dict]:
    return sorted(rows, key=lambda r: r[by], reverse=True)[:n]


def expensive_calls(
    start: date,
    end: date,
    factor: int = analytics.EXPENSIVE_CALL_FACTOR,
    limit=50,
    filters: dict | None = None,
):
    """Calls costing more than ``factor`` times their operation's mean cost in the range
    (the means from the rollup; then only the calls above them are read)."""
    means = {
        op: Decimal(cost) / calls
        for op, cost, calls in db.session.execute(
            _filtered(
                select(R.operation, func.sum(R.cost_usd_total), func.sum(R.calls))
                .where(*_in_range(start, end))
                .group_by(R.operation),
                filters,
            )
        )
        if calls
    }
    if not means:
        return []
    above = or_(
        *(
            and_(LOG.operation == op, LOG.cost_usd_total > mean * factor)
            for op, mean in means.items()
        )
    )
    query = _filtered(
        select(
            LOG.id, LOG.created_at, LOG.operation, LOG.provider, LOG.request_id, LOG.cost_usd_total
        )
        .where(LOG.created_at >= start, LOG.created_at < end + timedelta(days=1), above)
        .order_by(LOG.cost_usd_total.desc())
        .limit(limit),
        filters,
        table=LOG,
    )
    return [
        {
            "id": r.id,
            "created_at": r.created_at.isoformat(),
            "operation": r.operation,
            "provider": r.provider,
            "request_id": r.request_id,
            "cost_usd": Decimal(r.cost_usd_total),
            "operation_mean_usd": means[r.operation].quantize(CENTS),
        }
        for r in db.session.execute(query)
    ]
