"""Runs executed by Celery workers over Redis (IGNY8_CELERY_BROKER_URL), instead of the
embedded runner's threads: `flask igny8 worker` starts a worker, `flask igny8 beat` the
schedule that sweeps stale runs and holds. docs/deploy.md shows the processes.

A worker executes a run with the same igny8.ai.engine.execute_run as the embedded runner.
Messages are acknowledged after the run (acks_late), so a worker that dies mid-run leaves
its message to be delivered again (after CELERY_VISIBILITY_TIMEOUT); the worker that gets
it takes the run over once the dead one has been silent for RUN_STALE_AFTER and resumes
after its last finished item. The engine charges each item at most once whatever happens.
"""

import logging
import os
import time
from contextlib import contextmanager
from datetime import timedelta

from celery import Celery
from celery.signals import worker_process_init
from kombu.exceptions import OperationalError

from .ai import engine
from .billing import audit
from .celery_transport import Transport
from .extensions import db
from .limits import current_limits
from .models import OperationRun
from .models.runs import FINISHED
from .runner import EmbeddedRunner, QueueUnavailable

log = logging.getLogger(__name__)

RELEASE_STALE_SECONDS = 5 * 60.0  # how often beat looks for holds older than STALE_HOLD_MINUTES


def make_celery(app, celery: Celery | None = None) -> Celery:
    """The app's Celery: its tasks run inside this Flask app's context. Given ``celery``
    (made for another app), this app's queue is added to it instead: one worker process
    can then serve several apps, each on its queue (the test suite's two databases)."""
    config = app.config
    queue = config["CELERY_QUEUE"]
    if celery is None:
        celery = _celery(config, os.path.join(app.instance_path, "celerybeat-schedule"))
    celery.flask_apps[queue] = app
    on_queue = {"options": {"queue": queue}}
    celery.conf.beat_schedule[f"sweep-runs {queue}"] = {
        "task": "igny8.sweep_runs",
        "schedule": float(config["RUN_SWEEP_SECONDS"]),
        **on_queue,
    }
    celery.conf.beat_schedule[f"release-stale-holds {queue}"] = {
        "task": "igny8.release_stale",
        "schedule": RELEASE_STALE_SECONDS,
        **on_queue,
    }
    return celery


def _celery(config, schedule_file: str) -> Celery:
    queue = config["CELERY_QUEUE"]
    celery = Celery("igny8", broker=config["CELERY_BROKER_URL"], set_as_current=False)
    if config["CELERY_BROKER_URL"].startswith(("redis://", "rediss://")):
        celery.conf.broker_transport = Transport  # reconnects after losing Redis mid-run
    celery.flask_apps = {}  # queue name -> the Flask app whose runs it carries
    celery.conf.update(
        task_default_queue=queue,
        task_acks_late=True,  # a run's message is acknowledged only once the run has ended
        task_reject_on_worker_lost=True,  # a killed pool process gives its message back
        task_ignore_result=True,  # runs keep their own state in the database
        worker_prefetch_multiplier=1,  # a busy worker holds no runs another could start
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        beat_schedule_filename=schedule_file,
        beat_schedule={},
        broker_transport_options={
            "visibility_timeout": float(config["CELERY_VISIBILITY_TIMEOUT"]),
            # Each queue keeps its unacknowledged messages under keys of its own.
            "unacked_key": f"{queue}.unacked",
            "unacked_index_key": f"{queue}.unacked_index",
            "unacked_mutex_key": f"{queue}.unacked_mutex",
            **config.get("CELERY_TRANSPORT_OPTIONS", {}),
        },
    )

    @contextmanager
    def app_of(task):
        """The Flask app whose queue the task came from (and the queue), its context entered."""
        queue = (task.request.delivery_info or {}).get("routing_key") or config["CELERY_QUEUE"]
        app = celery.flask_apps[queue]
        with app.app_context():
            try:
                yield app, queue
            finally:
                db.session.remove()

    @celery.task(name="igny8.execute_run", bind=True, max_retries=None, shared=False)
    def execute_run(task, run_id: int):
        with app_of(task) as (app, _queue):
            stale_after = float(app.config["RUN_STALE_AFTER"])
            slot = _account_run_slot(app, run_id, stale_after)
            if slot is False:
                # The account has ACCOUNT_RUNS going already: this one goes back to wait,
                # and the runs of other accounts queued behind it start meanwhile.
                raise task.retry(countdown=ACCOUNT_RUN_RETRY_SECONDS)
            try:
                status = engine.execute_run(run_id, stale_after=stale_after).run.status
            finally:
                current_limits(app).release(slot)
        if status == "running":
            # Another worker has it and was alive a moment ago: look again once it would
            # count as stale, and take over then if it has died meanwhile.
            raise task.retry(countdown=stale_after)

    @celery.task(name="igny8.sweep_runs", bind=True, shared=False)
    def sweep_runs(task):
        """Send again the runs nobody is working on: queued for long (the message was
        lost) or running with a silent worker (the message is not coming back)."""
        with app_of(task) as (app, queue):
            for run_id in engine.stale_runs(float(app.config["RUN_STALE_AFTER"])):
                execute_run.apply_async((run_id,), queue=queue)

    @celery.task(name="igny8.release_stale", bind=True, shared=False)
    def release_stale(task):
        with app_of(task) as (app, _queue):
            minutes = int(app.config["STALE_HOLD_MINUTES"])
            released, failed = audit.release_stale_holds(timedelta(minutes=minutes))
            if released or failed:
                log.warning("released %s stale hold(s), failed %s run(s)", released, failed)

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_):
        # A forked pool process must not share the parent's database connections.
        for app in celery.flask_apps.values():
            with app.app_context():
                for engine_ in db.engines.values():
                    engine_.dispose(close=False)

    return celery


# How soon a run held back by its account's ACCOUNT_RUNS is looked at again.
ACCOUNT_RUN_RETRY_SECONDS = 1.0


def _account_run_slot(app, run_id: int, lease: float):
    """A place among its account's runs executing at once (ACCOUNT_RUNS, across every
    worker), for a queued run; None when none is needed (the run is running, a take-over,
    or gone), False when the account has its share going."""
    run = db.session.get(OperationRun, run_id)
    if run is None or run.status != "queued":
        return None
    limit = int(app.config["ACCOUNT_RUNS"])
    slot = current_limits(app).try_slot(f"runs:account:{run.account_id}", limit, lease)
    db.session.rollback()  # no transaction stays open over the run
    return False if slot is None else slot


class CeleryRunner:
    """Sends each queued run to the Celery workers; a run its requester waits for may be
    executed here instead, on this process's own threads (``here``)."""

    def __init__(self, app, celery: Celery):
        self.app = app
        self.celery = celery
        self.queue = app.config["CELERY_QUEUE"]
        self.local = EmbeddedRunner(app, int(app.config["RUN_WORKERS"]))

    def start(self, run_id: int, account_id: int | None = None, here: bool = False) -> None:
        """Queue the run for a worker, or with ``here`` execute it in this process. A
        run executed here whose process dies is resumed by a worker like any other
        (beat's sweep sends it once its heartbeat is RUN_STALE_AFTER old)."""
        if here:
            return self.local.start(run_id, account_id=account_id)
        try:
            self.celery.tasks["igny8.execute_run"].apply_async(
                (run_id,),
                queue=self.queue,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
            )
        except (OperationalError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from None

    def idle(self, seconds: float) -> bool:
        """Whether every run has ended within ``seconds`` (read from the database,
        wherever they run)."""
        deadline = time.monotonic() + seconds
        with self.app.app_context():
            while True:
                unfinished = db.session.execute(
                    db.select(db.func.count()).where(OperationRun.status.not_in(FINISHED))
                ).scalar()
                db.session.rollback()
                if not unfinished:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)


def run_worker(celery: Celery, concurrency: int | None, pool: str, beat: bool) -> None:
    """A Celery worker on its apps' queues (blocks until it is stopped)."""
    queues = ",".join(celery.flask_apps)
    argv = ["worker", "--loglevel=INFO", f"--pool={pool}", f"--queues={queues}"]
    argv += ["--without-mingle", "--without-gossip"]  # runs need no worker-to-worker chatter
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv.append("--beat")
    celery.worker_main(argv)


def run_beat(celery: Celery) -> None:
    celery.start(["beat", "--loglevel=INFO"])
