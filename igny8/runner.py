"""Where queued runs are executed. The embedded runner (the default) is RUN_WORKERS
threads inside the app's process: nothing else to start, SQLite included. With
IGNY8_CELERY_BROKER_URL set, Celery workers execute them (igny8.celery_engine). Every
runner executes a run the same way, through igny8.ai.engine.execute_run, whose items run
in parallel on the process's item threads (igny8.runs.parallel).

A request that asked to wait (``Prefer: wait=N``) sleeps until its run changes
(igny8.runs.signals), whichever process executes the run. With Celery, a small run
(RUN_INLINE_MAX_ITEMS) whose request waits is executed by the web process itself.
"""

import itertools
import logging
import threading
import time
from collections import Counter, deque

from .ai import engine
from .database import commit_keeping_loaded
from .extensions import db
from .models import OperationRun
from .models.runs import FINISHED, read_run, run_status
from .runs.signals import current_signals

log = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The runner could not take the run (its broker is down or unreachable)."""


class EmbeddedRunner:
    """Runs queued runs in ``workers`` threads of this process, taking accounts in turn:
    the next run to start is the oldest of the account with the fewest runs going, so
    one tenant's many queued runs do not hold back another's."""

    def __init__(self, app, workers: int):
        self.app = app
        self.workers = workers
        self._ready = threading.Condition()
        self._queued: dict = {}  # account id -> deque of (order, run id)
        self._going: Counter = Counter()  # account id -> runs executing
        self._order = itertools.count()
        self._done: dict[int, threading.Event] = {}
        self._threads: list[threading.Thread] = []

    def start(self, run_id: int, account_id: int | None = None, here: bool = False) -> None:
        """Queue the run for this process's threads (``here``: they always are here)."""
        with self._ready:
            self._done[run_id] = threading.Event()
            self._queued.setdefault(account_id, deque()).append((next(self._order), run_id))
            if len(self._threads) < self.workers:
                thread = threading.Thread(
                    target=self._work, name=f"igny8-run-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._ready.notify()

    def _next(self):
        """The next (account, run) to execute, fairly; waits for one."""
        with self._ready:
            while not self._queued:
                self._ready.wait()
            account = min(self._queued, key=lambda a: (self._going[a], self._queued[a][0][0]))
            _order, run_id = self._queued[account].popleft()
            if not self._queued[account]:
                del self._queued[account]
            self._going[account] += 1
            return account, run_id

    def _work(self) -> None:
        while True:
            account, run_id = self._next()
            with self.app.app_context():
                try:
                    engine.execute_run(run_id)
                except Exception:  # the engine has ended the run "failed"; say why in the log
                    log.exception("run %s stopped on an internal error", run_id)
                finally:
                    db.session.remove()
                    with self._ready:
                        self._going[account] -= 1
                        if not self._going[account]:
                            del self._going[account]
                        self._done.pop(run_id).set()

    def idle(self, seconds: float) -> bool:
        """Wait until every run this process started has ended; whether they all have."""
        deadline = time.monotonic() + seconds
        with self._ready:
            waiting = list(self._done.values())
        return all(done.wait(max(0.0, deadline - time.monotonic())) for done in waiting)


def wait_for(run_id: int, seconds: float) -> OperationRun:
    """The run once it has finished, or as it is after ``seconds``; sleeps until it
    changes in between."""
    deadline = time.monotonic() + seconds
    signals = current_signals()
    commit_keeping_loaded()  # the session keeps no connection while it waits
    with signals.watching(run_id, ends_only=True) as changed:
        # Woken by the run's end (twice on PostgreSQL: here and by NOTIFY), not by each
        # of its items: the status is read once before waiting, the run once it woke.
        if run_status(run_id) not in FINISHED:
            while True:
                signals.wait(changed, max(0.0, deadline - time.monotonic()))
                run = read_run(run_id)
                if run.status in FINISHED or time.monotonic() >= deadline:
                    return run
                commit_keeping_loaded()  # again no connection kept while it waits
    return read_run(run_id)


def init_app(app) -> None:
    """Celery workers when a broker is configured, else the embedded threads."""
    if app.config["CELERY_BROKER_URL"]:
        from .celery_engine import CeleryRunner, make_celery

        app.extensions["igny8_runner"] = CeleryRunner(app, make_celery(app))
    else:
        app.extensions["igny8_runner"] = EmbeddedRunner(app, int(app.config["RUN_WORKERS"]))


def current_runner(app=None):
    from flask import current_app

    return (app or current_app).extensions["igny8_runner"]
