"""Usage aggregated in SQL (GROUP BY), for the admin reports and GET /api/v1/usage."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import String, case, cast, func, literal, select, union_all

from . import analytics
from .billing.pricing import USD_PLACES
from .extensions import db
from .models import (
    Account,
    AIModelConfig,
    ApiToken,
    CreditCostConfig,
    CreditUsageLog,
    OperationRun,
    UsageDaily,
    User,
)
from .models.billing import COST_PARTS, TOKEN_COUNTS

LOG = CreditUsageLog
R = UsageDaily
TOKEN_SUMS = TOKEN_COUNTS
GROUPS = ("day", "model", "operation", "account", "provider", "tier")


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


# "billed_credits": the credits of tenants' accounts, what revenue counts (an internal
# account's, e.g. the admin's test calls, cost money and bring none).
SUMS = (
    "calls",
    *TOKEN_SUMS,
    "credits",
    "billed_credits",
    "credits_unbilled",
    "cost_usd",
    *COST_PARTS,
    "succeeded",
)
MONEY_SUMS = ("cost_usd", *COST_PARTS)
# What each rollup column is summed as (the rollup's own names where they differ).
_SOURCE = {"credits": "credits_used", "cost_usd": "cost_usd_total"}


def _billed(credits):
    """Credits that are revenue: a tenant's, not an internal account's (the query joins
    Account)."""
    return case((Account.is_internal, 0), else_=credits)


def _rollup_sums():
    """The sums of the rollup's rows; the query joins Account (``_with_accounts``)."""
    derived = {
        "succeeded": case((R.status == "success", R.calls), else_=0),
        "billed_credits": _billed(R.credits_used),
    }
    # In SUMS order: the parts of breakdown's UNION ALL line up by position.
    return [
        func.sum(derived[c] if c in derived else getattr(R, _SOURCE.get(c, c))).label(c)
        for c in SUMS
    ]


def _with_accounts(query):
    return query.select_from(R).outerjoin(Account, Account.id == R.account_id)


def _resummed(table):
    return [func.sum(table.c[c]).label(c) for c in SUMS]


def _names(table, group_by: str):
    """The display key of a grouping over ``table`` (a subquery of the rollup's columns)."""
    if group_by == "model":
        return func.coalesce(AIModelConfig.model_name, "(deleted model)")
    if group_by == "account":
        return func.coalesce(Account.name, "(deleted account)")
    if group_by == "tier":  # which prices applied: service tier, and a prompt-size tier
        return case((table.c.price_tier == "", "(not recorded)"), else_=table.c.price_tier)
    return table.c[group_by]


def _joined(query, table, group_by: str):
    if group_by == "model":
        return query.outerjoin(AIModelConfig, AIModelConfig.id == table.c.model_config_id)
    if group_by == "account":
        return query.outerjoin(Account, Account.id == table.c.account_id)
    return query


def breakdown(
    start: date, end: date, groups=GROUPS, filters: dict | None = None
) -> dict[str, list[dict]]:
    """Calls, tokens, credits, unbilled credits, cost (and its parts) and successes per key
    of each grouping in ``groups``, start to end inclusive, from the daily rollup in one
    statement that reads the range at most twice: once by day and model (giving "day" and
    "day_model", the cost per day and model, keyed "YYYY-MM-DD model"), once by the other
    dimensions (account, model, operation, provider, tier), summed again per grouping."""
    groups = set(groups)
    day_part = groups & {"day", "day_model"}
    other = [g for g in GROUPS if g != "day" and g in groups]
    parts = []
    if day_part:
        # Model names are looked up afterwards: grouped by id, the range is read once.
        parts.append(
            _filtered(
                _with_accounts(
                    select(
                        literal("day_model").label("grouping"),
                        cast(R.day, String).label("key"),
                        cast(R.model_config_id, String).label("sub"),
                        *_rollup_sums(),
                    )
                )
                .where(*_in_range(start, end))
                .group_by(R.day, R.model_config_id),
                filters,
            )
        )
    if other:
        dims = (R.model_config_id, R.account_id, R.operation, R.provider, R.price_tier)
        keyed = (
            _filtered(
                _with_accounts(select(*dims, *_rollup_sums()))
                .where(*_in_range(start, end))
                .group_by(*dims),
                filters,
            )
            .cte("keyed")
            .prefix_with("MATERIALIZED")  # read once, summed again per grouping
        )
        for group_by in other:
            key = _names(keyed, group_by)
            parts.append(
                _joined(
                    select(
                        literal(group_by).label("grouping"),
                        cast(key, String).label("key"),
                        # An account grouping says which accounts are internal.
                        (
                            cast(func.max(case((Account.is_internal, 1), else_=0)), String)
                            if group_by == "account"
                            else literal("")
                        ).label("sub"),
                        *_resummed(keyed),
                    ),
                    keyed,
                    group_by,
                ).group_by(key)
            )
    found: dict[str, list[dict]] = {g: [] for g in groups}
    if not parts:
        return found
    days: dict[str, dict] = {}
    names = (
        dict(db.session.execute(select(AIModelConfig.id, AIModelConfig.model_name)).all())
        if "day_model" in groups
        else {}
    )
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    for row in db.session.execute(statement).mappings():
        item = _sums(row)
        if row["grouping"] != "day_model":
            if row["grouping"] == "account":
                item["internal"] = row["sub"] == "1"
            found[row["grouping"]].append({"key": str(row["key"]), **item})
            continue
        day = date.fromisoformat(row["key"])
        if "day_model" in found:
            model = names.get(int(row["sub"]), "(deleted model)")
            found["day_model"].append(
                {"key": f"{day.isoformat()} {model}", "day": day, "model": model, **item}
            )
        total = days.setdefault(day.isoformat(), dict.fromkeys(SUMS, 0))
        for c in SUMS:
            total[c] += item[c]
    if "day" in found:
        found["day"] = [{"key": key, **sums} for key, sums in days.items()]
    for rows in found.values():
        rows.sort(key=lambda r: r["key"])
    return found


def _sums(row) -> dict:
    item = {c: int(row[c] or 0) for c in SUMS if c not in MONEY_SUMS}
    item.update({c: Decimal(row[c] or 0).quantize(USD_PLACES) for c in MONEY_SUMS})
    return item


def grouped(
    start: date,
    end: date,
    group_by: str,
    account_id: int | None = None,
    filters: dict | None = None,
) -> list[dict]:
    """One grouping of ``breakdown`` (for one account when ``account_id`` is given)."""
    filters = dict(filters or {})
    if account_id is not None:
        filters["account"] = account_id
    return breakdown(start, end, (group_by,), filters)[group_by]


def totals(rows: list[dict]) -> dict:
    keys = ("calls", *TOKEN_SUMS, "credits", "billed_credits", "credits_unbilled", "succeeded")
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
    return (cost / tokens * 1000).quantize(USD_PLACES) if tokens else None


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
    return Decimal(total).quantize(USD_PLACES)


NO_CALLER = "(no API caller: the CLI or a pipeline)"


def spend_by_caller(start: date, end: date, by: str, filters: dict | None = None) -> list[dict]:
    """Calls, credits (``billed_credits``: tenants' only), unbilled credits and cost per
    API token (``by="token"``; a user's browser sessions as one row) or per user
    (``by="user"``) whose request started the run, start to end inclusive, dearest first.
    From the usage log through each call's run (the rollup does not keep who called);
    calls of runs no request started are one row, NO_CALLER."""
    run = OperationRun
    keys = (
        (ApiToken.id, ApiToken.name, ApiToken.token_prefix, ApiToken.kind, User.email)
        if by == "token"
        else (User.id, User.email)
    )
    query = (
        select(
            *keys,
            func.count(LOG.id),
            func.coalesce(func.sum(LOG.credits_used), 0),
            func.coalesce(func.sum(_billed(LOG.credits_used)), 0),
            func.coalesce(func.sum(LOG.credits_unbilled), 0),
            func.coalesce(func.sum(LOG.cost_usd_total), 0),
        )
        .select_from(LOG)
        .outerjoin(run, run.id == LOG.run_id)
        .outerjoin(ApiToken, ApiToken.id == run.api_token_id)
        .outerjoin(User, User.id == run.user_id)
        .outerjoin(Account, Account.id == LOG.account_id)
        .where(LOG.created_at >= start, LOG.created_at < end + timedelta(days=1))
        .group_by(*keys)
    )
    merged: dict[str, dict] = {}
    for *key, calls, credits, billed, unbilled, cost in db.session.execute(
        _filtered(query, filters, table=LOG)
    ):
        label = _caller(by, *key)
        row = merged.setdefault(
            label,
            {
                "key": label,
                "calls": 0,
                "credits": 0,
                "billed_credits": 0,
                "credits_unbilled": 0,
                "cost_usd": Decimal(0),
            },
        )
        row["calls"] += calls
        row["credits"] += int(credits)
        row["billed_credits"] += int(billed)
        row["credits_unbilled"] += int(unbilled)
        row["cost_usd"] += Decimal(cost).quantize(USD_PLACES)
    return top(list(merged.values()), len(merged))


def _caller(by: str, *key) -> str:
    if by == "user":
        _id, email = key
        return email or NO_CALLER
    token_id, name, prefix, kind, email = key
    if token_id is None:
        return NO_CALLER
    if kind == "session":
        return f"browser sessions of {email}"
    return f"{name} ({prefix}…) of {email}" if prefix else f"{name} of {email}"


def first_usage_day(filters: dict | None = None) -> date | None:
    """The first day with any usage (of the filtered account, model...), or None."""
    first = db.session.execute(_filtered(select(func.min(R.day)), filters)).scalar()
    return first if first is None or isinstance(first, date) else date.fromisoformat(str(first))


def top(rows: list[dict], n: int = 10, by: str = "cost_usd") -> list[dict]:
    return sorted(rows, key=lambda r: r[by], reverse=True)[:n]


def expensive_calls(
    start: date,
    end: date,
    by_operation: list[dict],
    factor: int = analytics.EXPENSIVE_CALL_FACTOR,
    limit=50,
    filters: dict | None = None,
):
    """Calls costing more than ``factor`` times their operation's mean cost in the range
    (the means from ``breakdown``'s "operation" rows; then only the calls above them are
    read)."""
    means = {r["key"]: r["cost_usd"] / r["calls"] for r in by_operation if r["calls"]}
    filters = dict(filters or {})
    # "+ 0": the account is filtered as rows are read, so the planner keeps to the cost
    # index rather than reading every call the account made in the range.
    account = filters.pop("account", None)
    mine = [LOG.account_id + 0 == account] if account else []
    found = []
    for operation, mean in means.items():
        # Read from the top of ix_credit_usage_logs_operation_cost: only calls above the bar.
        found += db.session.execute(
            _filtered(
                select(
                    LOG.id,
                    LOG.created_at,
                    LOG.account_id,
                    LOG.model_config_id,
                    LOG.operation,
                    LOG.provider,
                    LOG.request_id,
                    LOG.cost_usd_total,
                )
                .where(
                    LOG.operation == operation,
                    LOG.cost_usd_total > mean * factor,
                    LOG.created_at >= start,
                    LOG.created_at < end + timedelta(days=1),
                    *mine,
                )
                .order_by(LOG.cost_usd_total.desc())
                .limit(limit),
                filters,
                table=LOG,
            )
        ).all()
    found = sorted(found, key=lambda r: (r.cost_usd_total, r.id), reverse=True)[:limit]
    # Names for the few rows shown, looked up once (the read above stays on its index).
    accounts = _names_of(Account, {r.account_id for r in found})
    models = _names_of(AIModelConfig, {r.model_config_id for r in found}, AIModelConfig.model_name)
    return [
        {
            "id": r.id,
            "created_at": r.created_at.isoformat(),
            "account": accounts.get(r.account_id, "(deleted account)"),
            "model": models.get(r.model_config_id, "—"),
            "operation": r.operation,
            "provider": r.provider,
            "request_id": r.request_id,
            "cost_usd": Decimal(r.cost_usd_total),
            "operation_mean_usd": means[r.operation].quantize(USD_PLACES),
        }
        for r in found
    ]


def _names_of(model, ids: set, column=None) -> dict:
    """{id: name} of the given rows of ``model`` (its ``name`` column unless told)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    column = column if column is not None else model.name
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())


# A provider whose calls take this many attempts each (retries included) is amber in API
# Monitor and System Health, given enough calls to judge by.
ATTEMPTS_AMBER, ATTEMPTS_MIN_CALLS = 1.5, 5


def retrying(stats: dict) -> bool:
    """Whether a provider's calls (one of provider_calls) need retries too often."""
    return stats["calls"] >= ATTEMPTS_MIN_CALLS and stats["attempts_per_call"] >= ATTEMPTS_AMBER


def provider_calls(since) -> list[dict]:
    """Per provider since ``since``, from the usage log: calls, failed calls, and the
    provider attempts they made (retries included), in provider order. What API Monitor,
    System Health and Home count."""
    rows = db.session.execute(
        select(
            LOG.provider,
            func.count(LOG.id),
            func.sum(case((LOG.status == "failed", 1), else_=0)),
            func.sum(LOG.attempts),
        )
        .where(LOG.created_at >= since)
        .group_by(LOG.provider)
        .order_by(LOG.provider)
    ).all()
    return [
        {
            "provider": provider,
            "calls": calls,
            "failed": int(failed or 0),
            "error_rate": int(failed or 0) / calls,
            "attempts": int(attempts or 0),
            "attempts_per_call": int(attempts or 0) / calls,
        }
        for provider, calls, failed, attempts in rows
    ]
