"""Where queued runs are executed. The embedded runner (the default) is a small pool of
threads inside the app's process: nothing else to start, SQLite included. With
IGNY8_CELERY_BROKER_URL set, Celery workers execute them (igny8.celery_engine). Every
runner executes a run the same way, through igny8.ai.engine.execute_run.

A request that asked to wait (``Prefer: wait=N``) waits on the run's row, so it works
whichever process executes the run.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .ai import engine
from .extensions import db
from .models import OperationRun
from .models.runs import FINISHED, read_run

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05


class QueueUnavailable(Exception):
    """The runner could not take the run (its broker is down or unreachable)."""


class EmbeddedRunner:
    """Runs queued runs in RUN_WORKERS threads of this process."""

    def __init__(self, app, workers: int):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="igny8-run")
        self._done: dict[int, threading.Event] = {}

    def start(self, run_id: int) -> None:
        self._done[run_id] = threading.Event()
        self.pool.submit(self._execute, run_id)

    def _execute(self, run_id: int) -> None:
        with self.app.app_context():
            try:
                engine.execute_run(run_id)
            except Exception:  # the engine has ended the run "failed"; say why in the log
                log.exception("run %s stopped on an internal error", run_id)
            finally:
                db.session.remove()
                self._done.pop(run_id).set()

    def idle(self, seconds: float) -> bool:
        """Wait until every run this process started has ended; whether they all have."""
        return all(done.wait(seconds) for done in list(self._done.values()))

    def finished(self, run_id: int, seconds: float) -> None:
        """Block until this process's run ends or ``seconds`` pass (no polling)."""
        done = self._done.get(run_id)
        if done is not None:
            done.wait(seconds)


def wait_for(run_id: int, seconds: float) -> OperationRun:
    """The run once it has finished, or as it is after ``seconds``. A run this process
    executes wakes its waiter at once; any other is read again every POLL_SECONDS."""
    deadline = time.monotonic() + seconds
    current_runner().finished(run_id, seconds)
    while True:
        run = read_run(run_id)
        if run.status in FINISHED or time.monotonic() >= deadline:
            return run
        time.sleep(POLL_SECONDS)


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
