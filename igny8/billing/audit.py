"""Ledger invariants (DESIGN §4 rule 8) and the repairs that keep them.

- every account's credits equal the sum of its ledger amounts;
- no call is settled twice, and every usage row's charge matches its settle row;
- every hold is released (returned at settlement or on failure).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..ai.usage import Usage
from ..extensions import db
from ..models import (
    Account,
    CreditTransaction,
    CreditUsageLog,
    ModelPrice,
    OperationRun,
    UsageCostRevision,
)
from ..models.billing import COST_PARTS
from ..models.runs import abandoned_since
from ..timeutil import utcnow
from . import ledger, rollup
from .pricing import PriceCard, bill_columns, price


@dataclass(frozen=True)
class Finding:
    # balance_mismatch | charged_twice | charge_mismatch | hold_not_released | rollup_mismatch
    kind: str
    account_id: int
    detail: str


def _open_holds(older_than: timedelta | None = None, reference_prefix: str | None = None):
    """Hold rows with no release row for the same call: older than ``older_than``, or
    those of calls whose reference begins with ``reference_prefix`` (one run's calls)."""
    release = aliased(CreditTransaction)
    query = (
        select(CreditTransaction)
        .outerjoin(
            release,
            and_(release.reference == CreditTransaction.reference, release.type == "release"),
        )
        .where(CreditTransaction.type == "hold", release.id.is_(None))
        .order_by(CreditTransaction.id)
    )
    if older_than is not None:
        query = query.where(CreditTransaction.created_at < utcnow() - older_than)
    if reference_prefix is not None:
        query = query.where(CreditTransaction.reference.startswith(reference_prefix))
    return query


def _held_in_flight():
    holds = (
        _open_holds()
        .where(
            CreditTransaction.account_id == bindparam("held_account"),
            CreditTransaction.created_at >= bindparam("held_since"),
        )
        .subquery()
    )
    return select(func.coalesce(-func.sum(holds.c.amount), 0)).scalar_subquery()


# Credits held by an account's calls of the last half hour that have not settled: a
# scalar subquery, read in the same statement as the balance, with held_params(account).
# Built once: it is read at the end of every run that charged.
HELD_IN_FLIGHT = _held_in_flight()


def held_params(account_id: int) -> dict:
    return {"held_account": account_id, "held_since": utcnow() - timedelta(minutes=30)}


def open_holds(older_than: timedelta) -> list[CreditTransaction]:
    """Holds older than that with no release or settlement."""
    return db.session.execute(_open_holds(older_than)).scalars().all()


def audit(grace: timedelta = timedelta(minutes=30)) -> list[Finding]:
    findings = []
    ledger_sum = (
        select(CreditTransaction.account_id, func.sum(CreditTransaction.amount).label("total"))
        .group_by(CreditTransaction.account_id)
        .subquery()
    )
    for account_id, credits, total in db.session.execute(
        select(Account.id, Account.credits, func.coalesce(ledger_sum.c.total, 0))
        .outerjoin(ledger_sum, ledger_sum.c.account_id == Account.id)
        .where(Account.credits != func.coalesce(ledger_sum.c.total, 0))
    ):
        findings.append(
            Finding("balance_mismatch", account_id, f"balance {credits} but ledger sums to {total}")
        )

    for account_id, reference, count in db.session.execute(
        select(CreditTransaction.account_id, CreditTransaction.reference, func.count())
        .where(CreditTransaction.type == "settle")
        .group_by(CreditTransaction.account_id, CreditTransaction.reference)
        .having(func.count() > 1)
    ):
        findings.append(
            Finding("charged_twice", account_id, f"call {reference} settled {count} times")
        )

    settle = aliased(CreditTransaction)
    for account_id, request_id, used, settled in db.session.execute(
        select(
            CreditUsageLog.account_id,
            CreditUsageLog.request_id,
            CreditUsageLog.credits_used,
            func.coalesce(-settle.amount, 0),
        )
        .outerjoin(
            settle, and_(settle.reference == CreditUsageLog.request_id, settle.type == "settle")
        )
        .where(CreditUsageLog.credits_used != func.coalesce(-settle.amount, 0))
    ):
        findings.append(
            Finding(
                "charge_mismatch",
                account_id,
                f"usage {request_id} records {used} credits, ledger settled {settled}",
            )
        )

    for hold in db.session.execute(_open_holds(grace)).scalars():
        findings.append(
            Finding(
                "hold_not_released",
                hold.account_id,
                f"hold of {-hold.amount} for call {hold.reference} "
                f"since {hold.created_at:%Y-%m-%d %H:%M} never released",
            )
        )
    for account_id, problem in rollup.differences(db.session):
        findings.append(
            Finding(
                "rollup_mismatch",
                account_id,
                f"daily rollup {problem} (`flask igny8 rebuild-rollup` rebuilds it)",
            )
        )
    return findings


def release_stale_holds(older_than: timedelta) -> tuple[int, int]:
    """Give back holds a killed process left behind, and fail the runs it left running.
    Returns (holds released, runs failed). Safe to run twice, and against live calls:
    a call that settles later finds its hold released and charges nothing."""
    released = _release(_open_holds(older_than))
    cutoff = utcnow() - older_than
    runs = db.session.execute(select(OperationRun).where(abandoned_since(cutoff))).scalars().all()
    for run in runs:
        run.status, run.error, run.finished_at = (
            "failed",
            "abandoned: the process running it stopped",
            utcnow(),
        )
    db.session.commit()
    return released, len(runs)


def release_open_holds(reference_prefix: str) -> int:
    """Give back the holds of calls (references beginning ``reference_prefix``) that a
    stopped worker left open; how many."""
    return _release(_open_holds(reference_prefix=reference_prefix))


def _release(holds_query) -> int:
    released = 0
    for hold in db.session.execute(holds_query).scalars().all():
        try:
            ledger.release(
                hold.account_id,
                -hold.amount,
                hold.reference,
                description="stale hold released (the call never settled)",
            )
            db.session.commit()
            released += 1
        except IntegrityError:
            db.session.rollback()  # released concurrently: nothing to do
    return released


def run_usage(run_id: int, reference_prefix: str = "") -> tuple[int, Decimal]:
    """Credits charged and provider cost of a run's calls so far (those whose request id
    begins with ``reference_prefix``, if given): what a resumed run starts from."""
    credits, cost = db.session.execute(
        select(
            func.coalesce(func.sum(CreditUsageLog.credits_used), 0),
            func.coalesce(func.sum(CreditUsageLog.cost_usd_total), 0),
        ).where(
            CreditUsageLog.run_id == run_id,
            CreditUsageLog.request_id.startswith(reference_prefix),
        )
    ).one()
    return int(credits), Decimal(str(cost))


def price_in_force(model_id: int, at) -> ModelPrice | None:
    """The price row effective at ``at``: the newest one not after it."""
    return db.session.execute(
        select(ModelPrice)
        .where(ModelPrice.model_id == model_id, ModelPrice.effective_from <= at)
        .order_by(ModelPrice.effective_from.desc(), ModelPrice.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def unpriced_usage():
    return (
        select(CreditUsageLog)
        .where(CreditUsageLog.cost_usd_total.is_(None))
        .order_by(CreditUsageLog.id)
    )


def usage_of_row(row: CreditUsageLog) -> Usage:
    """The Usage a usage row recorded, to price it again."""
    return Usage(
        input_tokens=row.input_tokens,
        cached_input_tokens=row.cached_input_tokens,
        cache_write_tokens=row.cache_write_tokens,
        output_tokens=row.output_tokens,
        reasoning_tokens=row.reasoning_tokens,
        images=row.images,
        cache_write_1h_tokens=row.cache_write_1h_tokens or 0,
        image_input_tokens=row.image_input_tokens or 0,
        cached_image_input_tokens=row.cached_image_input_tokens or 0,
        image_output_tokens=row.image_output_tokens or 0,
        service_tier=row.service_tier,
        image_size=row.image_size,
        image_quality=row.image_quality,
        reported_cost_usd=row.cost_usd_reported,
        unreported_images=row.unreported_images or 0,
        tool_requests=row.tool_requests or {},
        inference_geo=row.inference_geo,
        speed=row.speed,
    )


def backfill_row(row: CreditUsageLog) -> bool:
    """Price a usage row at the price in force at its time; False when none was."""
    if row.model_config_id is None:
        return False
    in_force = price_in_force(row.model_config_id, row.created_at)
    if in_force is None:
        return False
    usage = usage_of_row(row)
    for column, value in bill_columns(usage, price(usage, PriceCard.of(in_force))).items():
        setattr(row, column, value)
    return True


COST_COLUMNS = (*COST_PARTS, "cost_usd_reported", "cost_usd_total")
TRAIL_COLUMNS = (*COST_COLUMNS, "prices_used", "price_tier", "price_note")


def _trail(values: dict) -> dict:
    """Money as strings, so that the JSON trail keeps every digit."""
    return {
        k: format(v, "f") if isinstance(v, Decimal) else v
        for k, v in values.items()
        if k in TRAIL_COLUMNS
    }


class PriceHistory:
    """Each model's price rows, read once, looked up by time."""

    def __init__(self):
        self._rows: dict[int, list[ModelPrice]] = {}

    def in_force(self, model_id: int, at) -> ModelPrice | None:
        if model_id not in self._rows:
            self._rows[model_id] = list(
                db.session.execute(
                    select(ModelPrice)
                    .where(ModelPrice.model_id == model_id)
                    .order_by(ModelPrice.effective_from, ModelPrice.id)
                ).scalars()
            )
        found = None
        for row in self._rows[model_id]:
            if row.effective_from > at:
                break
            found = row
        return found


def repriced_usage(since):
    return (
        select(CreditUsageLog)
        .where(CreditUsageLog.created_at >= since, CreditUsageLog.model_config_id.is_not(None))
        .order_by(CreditUsageLog.id)
    )


def reprice_row(row: CreditUsageLog, history: PriceHistory) -> UsageCostRevision | None:
    """Price a usage row again at the price now in force at its time; where the cost
    changes, record the new figures and a revision with the old ones. Credits stay."""
    in_force = history.in_force(row.model_config_id, row.created_at)
    if in_force is None:
        return None
    usage = usage_of_row(row)
    after = bill_columns(usage, price(usage, PriceCard.of(in_force)))
    before = {c: getattr(row, c) for c in TRAIL_COLUMNS}
    if all(before[c] == after[c] for c in COST_COLUMNS):
        return None
    revision = UsageCostRevision(
        usage_id=row.id,
        old_cost_usd_total=row.cost_usd_total,
        new_cost_usd_total=after["cost_usd_total"],
        before=_trail(before),
        after=_trail(after),
        price_id=in_force.id,
    )
    for column in TRAIL_COLUMNS:
        setattr(row, column, after[column])
    db.session.add(revision)
    return revision


def roll_up_again(rows) -> int:
    """Rebuild the rollup of the days these usage rows fall on (their costs changed)."""
    days = {row.created_at.date() for row in rows}
    return rollup.rebuild(db.session, days) if days else 0
