"""A run's items in parallel: up to RUN_ITEM_CONCURRENCY of one run at once, and up to
ACCOUNT_CONCURRENCY (or the account's own ``max_concurrency``) of one account across all
its runs, in every process (igny8.limits). Items run on this process's item threads
(ITEM_WORKERS of them: the most provider calls this process has in flight).

Fair share: an account never has more than its limit in flight, so a tenant's 1,000-item
run leaves the rest of the threads to the others; when the threads are all busy, items
start in the order they were handed over, and an account hands over its next item only
when one of its own ends, so accounts take turns.

The coordinator (the caller's thread: a runner thread, a Celery task, the CLI) only
hands items over and waits; it beats the run's heartbeat while it waits, so items that
wait for a limit or a slow provider do not make the run look abandoned.
"""

import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import current_app

from ..billing import audit
from ..billing.references import CallReference
from ..database import connection_lost
from ..extensions import db
from ..limits import current_limits
from ..timeutil import utcnow
from .items import ItemOutcome, bump, run_item
from .recovery import settle_lost_attempt
from .signals import current_signals

log = logging.getLogger(__name__)

# How often the coordinator re-checks (a cancel, another process's freed slot) while
# nothing of its own happens; and its heartbeat's longest gap.
CHECK_SECONDS = 1.0
HEARTBEAT_SECONDS = 30.0
# How long an item keeps trying while the database is away, before it fails the run.
DATABASE_RETRY_SECONDS = 30.0
INTERNAL = {"code": "internal_error", "message": "internal error"}


@dataclass
class Progress:
    """What the coordinator learnt from its items."""

    stop: dict | None = None  # why no further item starts
    cancelled: bool = False
    internal: BaseException | None = None
    finished: int = 0
    unstarted: list = field(default_factory=list)  # positions never handed over


class ItemPool:
    """This process's item threads (app.extensions["igny8_items"])."""

    def __init__(self, workers: int):
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="igny8-item")


def item_pool(app) -> ItemPool:
    pool = app.extensions.get("igny8_items")
    if pool is None:
        pool = app.extensions.setdefault("igny8_items", ItemPool(int(app.config["ITEM_WORKERS"])))
    return pool


def account_limit(account) -> int:
    return account.max_concurrency or int(current_app.config["ACCOUNT_CONCURRENCY"])


def run_items(run_id, account_id, limit, operation, ctx, meter, items, done, progress=None):
    """Do every item of ``items`` whose position is not in ``done``; returns Progress.
    ``limit`` is the account's concurrency limit."""
    app = current_app._get_current_object()
    config = app.config
    pool, limits, signals = item_pool(app), current_limits(app), current_signals(app)
    per_run = int(config["RUN_ITEM_CONCURRENCY"])
    # Well inside RUN_STALE_AFTER, so a live run is never taken for a dead one.
    heartbeat = min(HEARTBEAT_SECONDS, float(config["RUN_STALE_AFTER"]) / 3)
    lease = float(config["RUN_STALE_AFTER"]) + float(config.get("PROVIDER_TIMEOUT", 120))
    account_key = f"account:{account_id}"
    pending = deque(p for p in range(len(items)) if p not in done)
    state = Progress(finished=len(done))
    in_flight: dict = {}
    beat = time.monotonic()

    def item_thread(position, slot):
        with app.app_context():
            try:
                return _with_the_database_back(
                    run_id, position, meter, lambda m: _attempt(operation, ctx, position, items, m)
                )
            finally:
                db.session.remove()
                signals.changed(run_id)
                limits.release(slot)  # wakes this account's coordinators in this process

    # Woken by this run's items as they end, and by any release of the account's slots.
    with limits.freed.watching(account_key) as wake:
        while in_flight or (pending and state.stop is None and not state.cancelled):
            starting = pending and state.stop is None and not state.cancelled
            # While it hands items over it looks at the run often (a cancel must stop new
            # items at once); otherwise its items' commits read the flag.
            if time.monotonic() - beat >= (CHECK_SECONDS if starting else heartbeat):
                state.cancelled |= _beat(run_id)
                beat = time.monotonic()
            while starting and pending and len(in_flight) < per_run and not state.cancelled:
                slot = limits.try_slot(account_key, limit, lease)
                if slot is None:
                    break
                position = pending.popleft()
                future = pool.executor.submit(item_thread, position, slot)
                future.add_done_callback(lambda _f: wake.set())
                in_flight[future] = position
            wake.wait(min(CHECK_SECONDS, heartbeat))
            wake.clear()
            for future in [f for f in in_flight if f.done()]:
                position = in_flight.pop(future)
                try:
                    outcome: ItemOutcome = future.result()
                except Exception as exc:  # recording the item failed (the database?)
                    outcome = ItemOutcome(position, False, stop=INTERNAL, internal=exc)
                state.finished += 1
                state.cancelled |= outcome.cancel
                if outcome.stop is not None and state.stop is None:
                    state.stop = outcome.stop
                if outcome.internal is not None and state.internal is None:
                    state.internal = outcome.internal
                beat = time.monotonic()  # the item's commit beat and read the cancel flag
                if progress is not None:
                    progress(state.finished, len(items))
    state.unstarted = list(pending)
    return state


def _attempt(operation, ctx, position, items, item_meter) -> ItemOutcome:
    try:
        return run_item(operation, ctx.for_item(item_meter), position, items[position])
    finally:
        item_meter.close()


def _with_the_database_back(run_id, position, meter, attempt) -> ItemOutcome:
    """``attempt(item_meter)``, again while the database is lost (a restart, a failover,
    a killed connection: the pool reconnects), for up to DATABASE_RETRY_SECONDS. Before
    each new attempt the last one's open holds are given back and what it was charged is
    counted as paid, so the item is charged once. An item that ends on an internal error
    gives back any hold it left open at once (if the database allows; else the
    stale-hold sweep does, later)."""
    deadline = time.monotonic() + DATABASE_RETRY_SECONDS
    delay = 0.2
    while True:
        outcome = attempt(meter.for_item(position))
        if outcome.lost is None:
            if outcome.internal is not None:
                _give_back_holds(run_id, position)
            return outcome
        log.warning("run %s item %s lost the database (%s)", run_id, position, outcome.lost)
        while True:  # put the attempt right once the database answers, then go again
            db.session.remove()  # a fresh session, on a fresh connection
            if time.monotonic() >= deadline:
                _give_back_holds(run_id, position)
                return ItemOutcome(position, False, stop=INTERNAL, internal=outcome.lost)
            try:
                settle_lost_attempt(run_id, meter, item=position)
                break
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 5.0)


def _give_back_holds(run_id: int, position: int) -> None:
    try:
        audit.release_open_holds(CallReference(run_id, position).prefix())
    except Exception:  # the database is still away: release-stale-holds will
        db.session.remove()
        log.warning(
            "run %s item %s: its open holds are left to release-stale-holds", run_id, position
        )


def _beat(run_id: int) -> bool:
    """The run's heartbeat; whether a cancel was asked for."""
    cancel = bump(run_id, utcnow(), 0, 0, 0, 0)
    db.session.commit()
    return cancel
