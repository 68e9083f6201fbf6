"""GET /usage and GET /credits: what the account spent, aggregated in SQL."""

from datetime import timedelta
from decimal import Decimal

from flask import jsonify
from sqlalchemy import func, select

from ..extensions import db
from ..models import AIModelConfig, CreditTransaction, CreditUsageLog
from ..timeutil import utcnow
from . import serialize
from .auth import current_account
from .pagination import paginate
from .schemas import PageQuery, UsageQuery
from .validation import documented

SUMS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "images")


def usage_rows(account_id: int, start, end, group_by: str):
    """One row per day, model or operation between start and end (dates, inclusive)."""
    log = CreditUsageLog
    key = {
        # date() is a date on PostgreSQL and 'YYYY-MM-DD' on SQLite: the same key either way.
        "day": func.date(log.created_at),
        "model": func.coalesce(AIModelConfig.model_name, "(deleted model)"),
        "operation": log.operation,
    }[group_by]
    query = (
        select(
            key.label("key"),
            func.count(log.id).label("calls"),
            *(func.coalesce(func.sum(getattr(log, c)), 0).label(c) for c in SUMS),
            func.coalesce(func.sum(log.credits_used), 0).label("credits"),
            func.coalesce(func.sum(log.cost_usd_total), 0).label("cost_usd"),
        )
        .where(
            log.account_id == account_id,
            log.created_at >= start,
            log.created_at < end + timedelta(days=1),
        )
        .group_by(key)
        .order_by(key)
    )
    if group_by == "model":
        query = query.outerjoin(AIModelConfig, AIModelConfig.id == log.model_config_id)
    return db.session.execute(query).all()


def _row_json(row) -> dict:
    body = {"key": str(row.key), "calls": int(row.calls)}
    body.update({c: int(getattr(row, c)) for c in SUMS})
    body["credits"] = int(row.credits)
    body["cost_usd"] = serialize.money(row.cost_usd)
    return body


def register(bp):
    @bp.get("/usage")
    @documented(
        "The account's usage between two dates (inclusive), grouped by day, model or operation",
        tags=["billing"],
        query=UsageQuery,
    )
    def usage(args):
        today = utcnow().date()
        end = args.get("end") or today
        start = args.get("start") or end - timedelta(days=29)
        items = [
            _row_json(r) for r in usage_rows(current_account().id, start, end, args["group_by"])
        ]
        totals = {k: sum(i[k] for i in items) for k in ("calls", *SUMS, "credits")}
        totals["cost_usd"] = serialize.money(
            sum((Decimal(i["cost_usd"]) for i in items), Decimal(0))
        )
        return jsonify(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "group_by": args["group_by"],
                "items": items,
                "totals": totals,
            }
        )

    @bp.get("/credits")
    @documented("Balance and ledger, newest first", tags=["billing"], query=PageQuery)
    def credits(args):
        account = current_account()
        page = paginate(
            select(CreditTransaction)
            .where(CreditTransaction.account_id == account.id)
            .order_by(CreditTransaction.id.desc()),
            serialize.ledger_row,
        )
        return jsonify({"balance": account.credits, **page})
