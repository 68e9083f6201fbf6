"""A real Celery worker process loses Redis with items in flight and gets it back: it
stays up, the run in flight ends, and runs queued afterwards are picked up."""

# ruff: noqa: F811

import os
import signal
import time

from fault_support import redis_server  # noqa: F401  (a fixture)
from test_background_runs import poll, post, worker_processes

from igny8.billing import audit


def test_a_worker_survives_redis_going_away_mid_run_and_works_once_it_is_back(
    app, shared, tenant, plugins, tmp_path, redis_server
):
    start, markers = worker_processes(app, shared, plugins, tmp_path, broker_url=redis_server.url)
    worker = start("outage", POOL="threads", CONCURRENCY="4", SLOW_SECONDS="1.5")
    try:
        run_id = post(app, tenant, [f"i{n}" for n in range(4)]).json["run"]["id"]
        deadline = time.monotonic() + 30
        while (
            poll(app, tenant, run_id, until=("running",), timeout=30)["run"]["status"] != "running"
        ):
            assert time.monotonic() < deadline
        time.sleep(0.3)  # its items are at the provider
        redis_server.kill()
        done = poll(app, tenant, run_id, timeout=30)  # the run in flight still ends
        assert done["run"]["status"] == "succeeded"
        time.sleep(3)  # the worker notices the broker is gone, and retries
        assert worker.poll() is None, (tmp_path / "worker-outage.log").read_text()[-3000:]
        redis_server.start()
        later = None
        deadline = time.monotonic() + 30
        while later is None:  # submits are refused (503) until the broker answers again
            answer = post(app, tenant, ["after"])
            if answer.status_code == 202:
                later = answer.json["run"]["id"]
            assert time.monotonic() < deadline, answer.json
            time.sleep(0.2)
        assert poll(app, tenant, later, timeout=60)["run"]["status"] == "succeeded"
        assert worker.poll() is None
        with app.app_context():
            assert audit.audit() == []
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)
