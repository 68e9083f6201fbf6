"""A run's life: submitted (queued, or replayed for a seen Idempotency-Key), claimed by
one worker (or taken over from a dead one), its items done in parallel
(igny8.runs.parallel), cancelled or stopped, and finished with one status.

``submit`` records a queued OperationRun (refusing an unknown operation or a switched-off
module); ``execute_run``, wherever the runner calls it (igny8.runner), claims it,
resolves the model and does its items; one item's failure does not stop the others (the
run is then ``partial``), and a cancelled run starts no further item. ``run_operation``
does both at once (the CLI, routes that call no model).
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import modules, notifications, registry
from ..ai.meter import Meter
from ..ai.provider import ProviderError
from ..ai.resolve import NoModelAvailable
from ..ai.retry import RetryPolicy
from ..billing import audit
from ..billing.plausibility import Plausible
from ..database import commit_keeping_loaded
from ..extensions import db
from ..limits import current_limits
from ..models import Account, CreditCostConfig, OperationRun, OperationRunItem
from ..models.runs import FINISHED, abandoned_since, read_run, run_results
from ..plugins import current_plugins
from ..timeutil import utcnow
from .context import OperationContext
from .items import record_unstarted
from .parallel import account_limit, run_items
from .recovery import settle_lost_attempt
from .signals import announce, current_signals

log = logging.getLogger(__name__)


class OperationRefused(Exception):
    """The operation may not run at all (unknown, switched off, no model)."""

    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different request."""


class RunOutcome:
    """A run as submit or execute_run left it; its results are read when first asked for
    (a worker that only ends the run never reads them)."""

    def __init__(self, run: OperationRun, replayed: bool = False):
        self.run, self.replayed = run, replayed
        self._results = None

    @property
    def results(self) -> list:
        if self._results is None:
            self._results = run_results(self.run.id)
        return self._results


def _refuse_if_switched_off(operation, cost_config) -> None:
    if not modules.is_enabled(operation.module):
        raise OperationRefused("module_disabled", f"module {operation.module!r} is switched off")
    if cost_config is not None and not cost_config.is_active:
        raise OperationRefused("module_disabled", f"operation {operation.key!r} is switched off")


def _replay(account_id, idempotency_key, request) -> RunOutcome | None:
    run = db.session.execute(
        select(OperationRun).where(
            OperationRun.account_id == account_id, OperationRun.idempotency_key == idempotency_key
        )
    ).scalar_one_or_none()
    if run is None:
        return None
    if request is not None and run.request is not None and run.request != request:
        raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
    return RunOutcome(run, replayed=True)


def run_operation(
    account_id: int,
    operation_key: str,
    items: list,
    *,
    site_id=None,
    idempotency_key: str | None = None,
    request: dict | None = None,
    progress=None,
) -> RunOutcome:
    """Run ``operation_key`` for each item now, metered and billed to the account (the CLI
    and no-AI routes; the API queues runs with ``submit`` instead). ``progress(done,
    total)`` is called as items finish."""
    outcome = submit(
        account_id,
        operation_key,
        items,
        site_id=site_id,
        idempotency_key=idempotency_key,
        request=request,
        status="running",  # this process runs it now: no worker is to claim it
    )
    if outcome.replayed:
        return outcome
    return execute_run(outcome.run.id, progress=progress, claimed=True)


def submit(
    account_id: int,
    operation_key: str,
    items: list,
    *,
    site_id=None,
    idempotency_key: str | None = None,
    request: dict | None = None,
    status: str = "queued",
    api_token_id: int | None = None,
    user_id: int | None = None,
) -> RunOutcome:
    """Record a queued run of ``operation_key`` over ``items`` (committed), or refuse it
    (unknown operation, switched-off module); a seen Idempotency-Key gives its run back,
    whatever its state, with ``replayed`` set. ``execute_run`` does the work."""
    operation = registry.operations(current_plugins().pm).get(operation_key)
    if operation is None or operation.handler is None:
        raise OperationRefused("not_found", f"no operation {operation_key!r}", status=404)
    if idempotency_key:
        replay = _replay(account_id, idempotency_key, request)
        if replay is not None:
            return replay
    _refuse_if_switched_off(operation, _cost_config(operation_key))
    work = operation.prepare(items) if operation.prepare is not None else list(items)
    run = OperationRun(
        account_id=account_id,
        site_id=site_id,
        operation=operation_key,
        status=status,
        started_at=utcnow() if status == "running" else None,
        heartbeat_at=utcnow() if status == "running" else None,
        items=len(work),
        idempotency_key=idempotency_key,
        request=request,
        work=work,
        api_token_id=api_token_id,
        user_id=user_id,
    )
    db.session.add(run)
    try:
        commit_keeping_loaded()  # the answer shows the run: no reload of what was just written
    except IntegrityError:  # the same key raced us: theirs is the run
        db.session.rollback()
        return _replay(account_id, idempotency_key, request)
    return RunOutcome(run)


def _cost_config(operation_key: str) -> CreditCostConfig | None:
    return db.session.execute(
        select(CreditCostConfig).where(CreditCostConfig.operation == operation_key)
    ).scalar_one_or_none()


def execute_run(
    run_id: int, progress=None, claimed: bool = False, stale_after: float | None = None
) -> RunOutcome:
    """Do a queued run's work; a finished run is left alone. A running run is this
    caller's only if it ``claimed`` it when recording it (run_operation); else it is
    another worker's and left alone, unless that worker has shown no sign of life for
    ``stale_after`` seconds: then this one takes the run over and resumes it, skipping
    the items already recorded (a redelivery after a crash)."""
    run = db.session.get(OperationRun, run_id)
    resumed = False
    if run.status == "running" and not claimed:
        if stale_after is None or not _take_over(run, stale_after):
            return RunOutcome(run)
        resumed = claimed = True
    elif run.status != ("running" if claimed else "queued"):
        return RunOutcome(run)
    config = current_app.config
    meter = Meter(
        account_id=run.account_id,
        operation=run.operation,
        site_id=run.site_id,
        run_id=run.id,
        pm=current_plugins().pm,
        policy=RetryPolicy.from_config(config),
        timeout=float(config.get("PROVIDER_TIMEOUT", 120)),
        limits=current_limits(),
        plausible=Plausible.from_config(config),
    )
    account_id, work = run.account_id, run.work or []
    try:
        operation = registry.operations(current_plugins().pm).get(run.operation)
        ctx, choice, refusal = None, None, None
        account = db.session.get(Account, account_id)
        if operation is None:
            refusal = f"operation {run.operation!r} is no longer loaded"
        else:
            ctx = OperationContext(
                account=account,
                site_id=run.site_id,
                run_id=run.id,
                operation=operation,
                cost_config=_cost_config(run.operation),
                meter=meter,
            )
            if operation.model_type is not None:
                try:
                    choice = ctx.choice()
                except (NoModelAvailable, ProviderError) as exc:
                    refusal = str(exc)
        model = {
            "model_name": choice.model_name if choice else None,
            "resolved_by": choice.resolved_by if choice else None,
        }
        limit = account_limit(account)
        if not _claim(run_id, model, claimed):  # another worker got the same run (a redelivery)
            return RunOutcome(read_run(run_id))
        if refusal is not None:
            return _finish(run_id, error=refusal)
        done = set()  # a run just claimed has no finished items; one taken over may
        if resumed:
            done = set(
                db.session.execute(
                    select(OperationRunItem.position).where(OperationRunItem.run_id == run_id)
                ).scalars()
            )
            settle_lost_attempt(run_id, meter, done)
        db.session.rollback()  # no connection is kept while the items run (only reads here)
        state = run_items(run_id, account_id, limit, operation, ctx, meter, work, done, progress)
    except Exception:
        # Whatever escaped: the run is not left "running", and keeps its cost.
        db.session.rollback()
        _finish(run_id, error="the run stopped on an internal error")
        raise
    finally:
        meter.close()
    if progress is not None and work:
        progress(len(work), len(work))

    def unstarted(**result):  # every item has its result, those it never started too
        return [(p, {"item": work[p], **result}) for p in state.unstarted]

    if state.internal is not None:
        failed = unstarted(status="failed", error=state.stop)
        _finish(run_id, failed, error="the run stopped on an internal error")
        raise state.internal
    if state.cancelled:
        return _finish(run_id, unstarted(status="cancelled"), error="cancelled", status="cancelled")
    if state.stop is not None:
        return _finish(run_id, unstarted(status="failed", error=state.stop))
    return _finish(run_id)


def _claim(run_id: int, model: dict, claimed: bool) -> bool:
    """Mark a queued run running (with the model it resolved); False if it was not
    queued. A run this caller claimed already (run_operation, a take-over) only records
    its model."""
    condition = OperationRun.status == ("running" if claimed else "queued")
    values = dict(model) if claimed else dict(model, status="running", started_at=utcnow())
    changed = db.session.execute(
        update(OperationRun)
        .where(OperationRun.id == run_id, condition)
        .values(heartbeat_at=utcnow(), **values)
    ).rowcount
    announce(db.session, run_id)
    db.session.commit()
    current_signals().changed(run_id)
    return bool(changed)


def _take_over(run: OperationRun, stale_after: float) -> bool:
    """Claim a running run whose worker has been silent for ``stale_after`` seconds (it
    died); False if it is alive, or another worker took it over first."""
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    if (utcnow() - last_sign).total_seconds() < stale_after:
        db.session.rollback()
        return False
    taken = db.session.execute(
        update(OperationRun)
        .where(
            OperationRun.id == run.id,
            OperationRun.status == "running",
            OperationRun.heartbeat_at == run.heartbeat_at,  # nobody signed in meanwhile
        )
        .values(heartbeat_at=utcnow())
    ).rowcount
    db.session.commit()
    if taken:
        log.warning("run %s: its worker stopped; another resumes it", run.id)
    return bool(taken)


def stale_runs(stale_after: float) -> list[int]:
    """Runs nobody is working on: queued for ``stale_after`` seconds (their message was
    lost) or running with a worker silent that long (it died). Sending them to a worker
    again is safe: execute_run claims or takes over a run once."""
    cutoff = utcnow() - timedelta(seconds=stale_after)
    return list(
        db.session.execute(select(OperationRun.id).where(abandoned_since(cutoff))).scalars()
    )


def cancel(run: OperationRun) -> bool:
    """Ask a run to start no further item (a queued one ends at once); False when it has
    already finished."""
    if run.status in FINISHED:
        return False
    run.cancel_requested = True
    db.session.execute(
        update(OperationRun)
        .where(OperationRun.id == run.id, OperationRun.status == "queued")
        .values(status="cancelled", finished_at=utcnow(), error="cancelled before it started")
    )
    announce(db.session, run.id, ended=True)  # a queued run ends at once
    db.session.commit()
    current_signals().changed(run.id, ended=True)
    return True


def _finish(run_id: int, unstarted=(), error=None, status=None) -> RunOutcome:
    """End the run: the results of items it will not do, its totals (from its calls'
    usage rows: exact even when a worker died mid-item), its status and first error."""
    record_unstarted(run_id, list(unstarted))
    db.session.commit()
    run = read_run(run_id)
    credits_used, cost_usd = audit.run_usage(run_id)
    # Read before the run changes (one UPDATE); a run with no failed item has none.
    first_error = error or (_first_error(run_id) if run.items_failed else None)
    run.credits_used, run.cost_usd = credits_used, cost_usd
    if status is None:  # an error that stopped the run after some items still is "partial"
        if not run.items_succeeded:
            status = "failed"
        else:
            status = "partial" if error or run.items_failed else "succeeded"
    run.status = status
    run.error = first_error
    run.finished_at = utcnow()
    run.heartbeat_at = utcnow()
    notifications.after_run(run)
    announce(db.session, run_id, ended=True)
    db.session.commit()
    current_signals().changed(run_id, ended=True)
    return RunOutcome(run)


def _first_error(run_id: int) -> str | None:
    result = db.session.execute(
        select(OperationRunItem.result)
        .where(OperationRunItem.run_id == run_id, OperationRunItem.status == "failed")
        .order_by(OperationRunItem.position)
        .limit(1)
    ).scalar_one_or_none()
    return result["error"]["message"] if result else None
