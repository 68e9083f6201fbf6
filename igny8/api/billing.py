"""GET /usage and GET /credits: what the account spent, aggregated in SQL."""

from datetime import date, datetime, time, timedelta

from flask import jsonify
from sqlalchemy import select

from .. import reports
from ..models import CreditTransaction
from ..timeutil import utcnow
from . import serialize
from .auth import current_account
from .pagination import paginate
from .schemas import LedgerQuery, UsageQuery
from .shapes import CreditsOut, UsageOut
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
        response=UsageOut,
    )
    def usage(args):
        today = utcnow().date()
        end = args.get("end") or today
        # The 30 days up to end (fewer at the calendar's first day).
        start = args.get("start") or end - min(timedelta(days=29), end - date.min)
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
    @documented(
        "Balance and ledger, newest first; filter by type and by dates (inclusive, UTC)",
        tags=["billing"],
        query=LedgerQuery,
        response=CreditsOut,
    )
    def credits(args):
        account = current_account()
        rows = select(CreditTransaction).where(CreditTransaction.account_id == account.id)
        if args.get("type"):
            rows = rows.where(CreditTransaction.type == args["type"])
        if args.get("start"):
            rows = rows.where(
                CreditTransaction.created_at >= datetime.combine(args["start"], time())
            )
        if args.get("end") and args["end"] < date.max:
            after = datetime.combine(args["end"] + timedelta(days=1), time())
            rows = rows.where(CreditTransaction.created_at < after)
        page = paginate(rows.order_by(CreditTransaction.id.desc()), serialize.ledger_row)
        return jsonify({"balance": account.credits, **page})
