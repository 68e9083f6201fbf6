"""One item of a run, in a thread of its own: the operation's handler in the item's own
transaction, the errors it may end with, and what is recorded of it.

An item's writes, its result row and its share of the run's counters are committed
together when the handler returns; when it raises they are rolled back, and the
operation's ``on_failure(ctx, item, error)`` records the failure (e.g. a task marked
``failed`` so that it is retried) in a transaction of its own with the failed result.
Handlers and the meter never commit.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, text, update

from .. import prompts
from ..ai.meter import OutputError
from ..ai.provider import ProviderError
from ..billing import ledger
from ..database import connection_lost, fitting_strings
from ..extensions import db
from ..models import OperationRun, OperationRunItem
from ..timeutil import utcnow
from .context import ItemError
from .signals import CHANNEL

log = logging.getLogger(__name__)

RUNS = OperationRun.__table__
ITEMS = OperationRunItem.__table__


@dataclass(frozen=True)
class ItemOutcome:
    position: int
    succeeded: bool
    # An error that stops the run's further items (no credits left, a broken prompt
    # template, an internal error); None when the run goes on.
    stop: dict | None = None
    cancel: bool = False  # a cancel was asked for meanwhile (read back with the progress)
    internal: BaseException | None = None  # an unexpected exception, re-raised by the run
    # The database went away during the item: nothing of it is recorded; it is tried again.
    lost: BaseException | None = None


def run_item(operation, ctx, position: int, item) -> ItemOutcome:
    """Do item ``position`` with ``ctx`` (an item's context: its meter names the item)."""
    stop = None
    try:
        with fitting_strings(db.session()):  # the call is paid: its writes must not overflow
            result = operation.handler(ctx, item) or {}
            entry = {"item": item, "status": "succeeded", **result}
            cancel = record(ctx.run_id, position, entry, ctx.meter)
            db.session.commit()  # the item's writes, its result and the run's counters, together
        return ItemOutcome(position, True, cancel=cancel)
    except ledger.InsufficientCredits as exc:
        error = stop = {
            "code": "insufficient_credits",
            "message": f"the balance does not cover this call (needs {exc.needed})",
        }
    except prompts.PromptError as exc:  # the template, not the item: stop here
        error = stop = {"code": "prompt_error", "message": exc.message, **exc.details}
    except (ProviderError, ItemError) as exc:
        error = {"code": exc.code, "message": exc.message}
    except OutputError as exc:
        error = {"code": "bad_response", "message": str(exc)}
    except Exception as exc:
        if connection_lost(exc):
            return ItemOutcome(position, False, lost=exc)
        db.session.rollback()
        failure = {"code": "internal_error", "message": "internal error"}
        cancel = record_failure(operation, ctx, position, item, failure)
        return ItemOutcome(position, False, stop=failure, cancel=cancel, internal=exc)
    try:
        db.session.rollback()
        cancel = record_failure(operation, ctx, position, item, error)
    except Exception as exc:
        if connection_lost(exc):
            return ItemOutcome(position, False, lost=exc)
        raise
    return ItemOutcome(position, False, stop=stop, cancel=cancel)


def record_failure(operation, ctx, position: int, item, error: dict) -> bool:
    """After the item's writes were rolled back: the operation's own record of the
    failure and the item's failed result, committed together. A failure of on_failure
    itself is logged and never hides the item's error."""
    if operation.on_failure is not None:
        try:
            with fitting_strings(db.session()):
                operation.on_failure(ctx, item, error)
                db.session.flush()  # (the commit below flushes nothing more of it)
        except Exception:
            db.session.rollback()
            log.exception("on_failure of %s failed for item %r", operation.key, item)
    entry = {"item": item, "status": "failed", "error": error}
    cancel = record(ctx.run_id, position, entry, ctx.meter)
    db.session.commit()
    return cancel


def record(run_id: int, position: int, entry: dict, meter) -> bool:
    """The item's result row and its share of the run's counters: two statements whose
    cost does not grow with the run. The counter UPDATE also reads back whether a
    cancel was asked for, and (on PostgreSQL) tells waiters the run changed. The caller
    commits."""
    succeeded = entry["status"] == "succeeded"
    counts = (int(succeeded), int(not succeeded), meter.credits_used, meter.cost_usd)
    if _postgres():  # both in one statement: one round trip
        params = _bump_params(run_id, utcnow(), *counts)
        params.update(position=position, status=entry["status"], result=entry)
        return bool(db.session.execute(_RECORD_AND_BUMP, params).scalar())
    now = _insert_results(run_id, [(position, entry)])
    return bump(run_id, now, *counts)


def record_unstarted(run_id: int, entries: list[tuple[int, dict]]) -> None:
    """Items the run will not do (it was cancelled, or stopped): their results in one
    statement, the failed ones counted. The caller commits."""
    if not entries:
        return
    now = _insert_results(run_id, entries)
    failed = sum(1 for _, entry in entries if entry["status"] == "failed")
    if failed:
        bump(run_id, now, 0, failed, 0, 0)


def _insert_results(run_id: int, entries: list[tuple[int, dict]]):
    now = utcnow()
    db.session.execute(
        insert(ITEMS),
        [
            {
                "run_id": run_id,
                "position": position,
                "status": entry["status"],
                "result": entry,
                "finished_at": now,
            }
            for position, entry in entries
        ],
    )
    return now


_BUMP = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("b_run"))
    .values(
        heartbeat_at=bindparam("b_now"),
        items_succeeded=RUNS.c.items_succeeded + bindparam("b_succeeded"),
        items_failed=RUNS.c.items_failed + bindparam("b_failed"),
        credits_used=RUNS.c.credits_used + bindparam("b_credits"),
        cost_usd=RUNS.c.cost_usd + bindparam("b_cost", type_=RUNS.c.cost_usd.type),
    )
    .returning(RUNS.c.cancel_requested)
)
_COUNTERS = """
        UPDATE operation_runs SET heartbeat_at = :b_now,
            items_succeeded = items_succeeded + :b_succeeded,
            items_failed = items_failed + :b_failed,
            credits_used = credits_used + :b_credits,
            cost_usd = cost_usd + :b_cost
        WHERE id = :b_run
        RETURNING cancel_requested"""
_NOTIFY = f"pg_notify('{CHANNEL}', CAST(:b_run AS text))"
_BUMP_AND_NOTIFY = text(
    f"WITH bumped AS ({_COUNTERS}) SELECT cancel_requested, {_NOTIFY} FROM bumped"
).bindparams(bindparam("b_cost", type_=RUNS.c.cost_usd.type))
_RECORD_AND_BUMP = text(
    f"""WITH item AS (
        INSERT INTO operation_run_items (run_id, position, status, result, finished_at)
        VALUES (:b_run, :position, :status, :result, :b_now)),
    bumped AS ({_COUNTERS})
    SELECT cancel_requested, {_NOTIFY} FROM bumped"""
).bindparams(
    bindparam("b_cost", type_=RUNS.c.cost_usd.type),
    bindparam("result", type_=ITEMS.c.result.type),
)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _bump_params(run_id, now, succeeded, failed, credits, cost) -> dict:
    return {
        "b_run": run_id,
        "b_now": now,
        "b_succeeded": succeeded,
        "b_failed": failed,
        "b_credits": credits,
        "b_cost": cost,
    }


def bump(run_id: int, now, succeeded: int, failed: int, credits: int, cost) -> bool:
    """Add to the run's counters (and beat its heartbeat); whether a cancel was asked."""
    statement = _BUMP_AND_NOTIFY if _postgres() else _BUMP
    params = _bump_params(run_id, now, succeeded, failed, credits, cost)
    return bool(db.session.execute(statement, params).scalar())
