"""GET /usage and GET /credits: what the account spent, aggregated in SQL."""

from datetime import timedelta

from flask import jsonify
from sqlalchemy import select

from .. import reports
from ..models import CreditTransaction
from ..timeutil import utcnow
from . import serialize
from .auth import current_account
from .pagination import paginate
from .schemas import PageQuery, UsageQuery
from .validation import documented


def _row_json(row: dict) -> dict:
    body = {k: row[k] for k in ("key", "calls", *reports.TOKEN_SUMS, "credits")}
    for money in ("cost_usd", *reports.COST_PARTS):
        body[money] = serialize.money(row[money])
    return body


def register(bp):
    @bp.get("/usage")
    @documented(
        "The account's usage between two dates (inclusive), grouped by day, model, operation "
        "or price tier; cost split into input, cached, cache write, output and images",
        tags=["billing"],
        query=UsageQuery,
    )
    def usage(args):
        today = utcnow().date()
        end = args.get("end") or today
        start = args.get("start") or end - timedelta(days=29)
        rows = reports.grouped(start, end, args["group_by"], account_id=current_account().id)
        total = reports.totals(rows)
        items = [_row_json(r) for r in rows]
        totals = _row_json({**total, "key": None})
        del totals["key"]
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
