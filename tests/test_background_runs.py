"""AI runs in the background, on both engines (the embedded runner's threads and Celery
workers over Redis): 202 with Location, polling, Prefer: wait, Server-Sent Events,
cancelling, and a retried Idempotency-Key."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from conftest import REDIS_URL
from flask import Flask
from metering_support import Gate, ScriptedProvider, add_model, scripted_plugin

from igny8.ai import engine
from igny8.billing import audit, ledger
from igny8.celery_engine import CeleryRunner, make_celery
from igny8.extensions import db
from igny8.models import Account, GlobalIntegrationSettings, OperationRun
from igny8.runner import EmbeddedRunner
from igny8.timeutil import utcnow

WORKER_PROCESS = str(pathlib.Path(__file__).parent / "servers" / "worker_process.py")


@pytest.fixture(params=["embedded", "celery"])
def run_engine(request, shared):
    """The app's runner for this test: one embedded thread, or a one-process Celery worker
    (either runs one run at a time). The app's own runner is put back afterwards."""
    runner = EmbeddedRunner(shared.app, 1) if request.param == "embedded" else shared.celery()
    shared.app.extensions["igny8_runner"] = runner
    # Every run goes to the worker, even one its request waits for (RUN_INLINE_MAX_ITEMS).
    shared.app.config["RUN_INLINE_MAX_ITEMS"] = 0  # the config is put back after the test
    return runner


@pytest.fixture
def gated(app, run_engine, plugins, tenant_factory_for):
    """The app with runs answering 202 at once (no default wait), on a provider held by a gate."""
    gate = Gate()
    plugins.register(scripted_plugin(gate), "gate")
    app.config["RUN_DEFAULT_WAIT"] = 0  # the app's config is put back before the next test
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    tenant = tenant_factory_for(app)
    yield app, gate, tenant
    gate.gate.set()  # never leave a worker waiting
    assert run_engine.idle(30), "a background run did not end"


def post(app, tenant, items, **headers):
    return app.test_client().post(
        "/api/v1/echo/", json={"items": items}, headers={**tenant.headers, **headers}
    )


def poll(app, tenant, run_id, until=("succeeded", "partial", "failed", "cancelled"), timeout=10):
    """GET the run until its status is one of ``until``: every 50 ms for a second, then
    every 300 ms (a slow machine's long wait stays under the API's 300 requests a minute)."""
    client = app.test_client()
    deadline, polls = time.monotonic() + timeout, 0
    while True:
        answer = client.get(f"/api/v1/runs/{run_id}", headers=tenant.headers)
        assert answer.status_code == 200, answer.json
        body = answer.json
        if body["run"]["status"] in until:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} is still {body['run']['status']}")
        polls += 1
        time.sleep(0.05 if polls < 20 else 0.3)


def test_an_ai_endpoint_answers_202_and_the_run_is_polled_to_its_results(gated):
    app, gate, tenant = gated
    answer = post(app, tenant, ["a", "b"])
    assert answer.status_code == 202
    run = answer.json["run"]
    assert answer.headers["Location"] == f"/api/v1/runs/{run['id']}"
    assert run["status"] in ("queued", "running") and answer.json["results"] == []
    assert gate.entered.wait(10)
    running = poll(app, tenant, run["id"], until=("running",))
    assert running["run"]["items_done"] == 0 and running["run"]["items"] == 2
    gate.gate.set()
    done = poll(app, tenant, run["id"])
    assert done["run"]["status"] == "succeeded"
    assert (done["run"]["items_done"], done["run"]["credits_used"]) == (2, 4)
    assert [r["item"] for r in done["results"]] == ["a", "b"]


def test_prefer_wait_answers_200_with_results_when_the_run_finishes_in_time(gated):
    app, gate, tenant = gated
    gate.gate.set()
    answer = post(app, tenant, ["a"], Prefer="wait=10")
    assert answer.status_code == 200
    assert answer.headers["Preference-Applied"] == "wait=10"
    assert answer.json["run"]["status"] == "succeeded" and len(answer.json["results"]) == 1


def test_prefer_wait_gives_202_when_the_run_takes_longer(gated):
    app, gate, tenant = gated
    started = time.monotonic()
    answer = post(app, tenant, ["a"], Prefer="respond-async, wait=0.3")
    assert answer.status_code == 202 and 0.3 <= time.monotonic() - started < 5
    gate.gate.set()
    assert poll(app, tenant, answer.json["run"]["id"])["run"]["status"] == "succeeded"


@pytest.mark.parametrize(
    "prefer, applied", [("wait=abc", None), ("wait=600", "wait=60"), ("wait=-3", None)]
)
def test_a_malformed_or_long_wait_is_ignored_or_capped(prefer, applied):
    from igny8.api.runs import prefer_wait

    app = Flask(__name__)  # only the two settings are read: no database needed
    app.config.update(RUN_DEFAULT_WAIT=0, RUN_MAX_WAIT=60)
    with app.test_request_context(headers={"Prefer": prefer}):
        wait = prefer_wait()
    assert (f"wait={wait:g}" if wait else None) == applied


def test_events_stream_progress_then_the_results(gated):
    app, gate, tenant = gated
    run_id = post(app, tenant, ["a", "b"]).json["run"]["id"]
    response = app.test_client().get(
        f"/api/v1/runs/{run_id}/events", headers=tenant.headers, buffered=False
    )
    assert response.status_code == 200
    assert response.content_type == "text/event-stream"
    events = []
    for chunk in response.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if text.startswith("event: "):
            name, data = text.split("\n")[:2]
            events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
            gate.gate.set()  # the first event seen: let the run go on
        if events and events[-1][0] == "done":
            break
    response.close()
    assert events[0][0] == "progress" and events[0][1]["run"]["status"] in ("queued", "running")
    name, body = events[-1]
    assert name == "done" and body["run"]["status"] == "succeeded"
    assert [r["item"] for r in body["results"]] == ["a", "b"]


def test_cancel_stops_before_the_next_item_and_charges_only_what_ran(gated):
    app, gate, tenant = gated
    app.config["RUN_ITEM_CONCURRENCY"] = 1  # one item at a time: a then b then c
    run_id = post(app, tenant, ["a", "b", "c"]).json["run"]["id"]
    assert gate.entered.wait(10)  # the first item is at the provider
    client = app.test_client()
    cancelled = client.post(f"/api/v1/runs/{run_id}/cancel", headers=tenant.headers)
    assert cancelled.status_code == 202 and cancelled.json["run"]["cancel_requested"] is True
    gate.gate.set()
    body = poll(app, tenant, run_id)
    assert body["run"]["status"] == "cancelled"
    assert [r["status"] for r in body["results"]] == ["succeeded", "cancelled", "cancelled"]
    assert len(gate.calls) == 1
    with app.app_context():
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 2
        assert audit.audit() == []
    again = client.post(f"/api/v1/runs/{run_id}/cancel", headers=tenant.headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"


def test_a_queued_run_cancelled_never_starts(gated):
    app, gate, tenant = gated
    try:
        busy = post(app, tenant, ["a"]).json["run"]["id"]
        assert gate.entered.wait(10)  # the one worker is busy
        waiting = post(app, tenant, ["b"]).json["run"]
        assert waiting["status"] == "queued"
        answer = app.test_client().post(
            f"/api/v1/runs/{waiting['id']}/cancel", headers=tenant.headers
        )
        assert answer.json["run"]["status"] == "cancelled"
    finally:
        gate.gate.set()
    assert poll(app, tenant, busy)["run"]["status"] == "succeeded"
    assert poll(app, tenant, waiting["id"])["run"]["status"] == "cancelled"
    assert len(gate.calls) == 1  # the cancelled run never called the provider


def test_a_retry_with_the_key_gets_the_same_run_as_it_is_now(gated):
    app, gate, tenant = gated
    first = post(app, tenant, ["a"], **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 202
    assert gate.entered.wait(10)
    running = post(app, tenant, ["a"], **{"Idempotency-Key": "retry-1"})
    assert running.status_code == 202 and running.headers["Idempotent-Replayed"] == "true"
    assert running.json["run"]["id"] == first.json["run"]["id"]
    gate.gate.set()
    poll(app, tenant, first.json["run"]["id"])
    finished = post(app, tenant, ["a"], **{"Idempotency-Key": "retry-1"})
    assert finished.status_code == 200 and finished.json["run"]["status"] == "succeeded"
    assert finished.json["run"]["id"] == first.json["run"]["id"]
    assert len(gate.calls) == 1


def test_someone_elses_run_is_not_found(gated, tenant_factory_for):
    app, gate, tenant = gated
    gate.gate.set()
    run_id = post(app, tenant, ["a"]).json["run"]["id"]
    other = tenant_factory_for(app)
    client = app.test_client()
    for method, path in [
        ("get", f"/api/v1/runs/{run_id}"),
        ("get", f"/api/v1/runs/{run_id}/events"),
        ("post", f"/api/v1/runs/{run_id}/cancel"),
    ]:
        assert getattr(client, method)(path, headers=other.headers).status_code == 404


def test_a_broker_that_is_down_gives_503_and_holds_nothing(app, tenant, plugins):
    plugins.register(scripted_plugin(ScriptedProvider()), "scripted")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:9/0", CELERY_QUEUE="igny8-nowhere")
    app.extensions["igny8_runner"] = CeleryRunner(app, make_celery(app))
    key = {"Idempotency-Key": "broker-down-1"}
    answer = post(app, tenant, ["a"], Prefer="wait=0", **key)  # 202 at once: for a worker
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "queue_unavailable"
    with app.app_context():
        assert db.session.execute(db.select(OperationRun)).first() is None
        assert db.session.get(Account, tenant.account_id).credits == 1000
    # The broker is back: the same request with the same key runs.
    app.extensions["igny8_runner"] = EmbeddedRunner(app, 1)
    again = post(app, tenant, ["a"], Prefer="wait=10", **key)
    assert again.status_code == 200 and again.json["run"]["status"] == "succeeded"


def test_a_small_run_its_request_waits_for_is_done_by_the_web_process(app, tenant, plugins):
    """With Celery, a run of at most RUN_INLINE_MAX_ITEMS whose request waits never goes
    through the broker: it runs even while the broker is down, and charges once."""
    provider = ScriptedProvider()
    plugins.register(scripted_plugin(provider), "scripted")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    app.config.update(
        CELERY_BROKER_URL="redis://127.0.0.1:9/0",  # nothing listens: no worker could get it
        CELERY_QUEUE="igny8-nowhere",
        RUN_INLINE_MAX_ITEMS=3,
    )
    app.extensions["igny8_runner"] = CeleryRunner(app, make_celery(app))
    answer = post(app, tenant, ["a", "b", "c"], Prefer="wait=10")
    assert answer.status_code == 200 and answer.json["run"]["status"] == "succeeded"
    assert [r["status"] for r in answer.json["results"]] == ["succeeded"] * 3
    # Past the limit, or not waited for, a run is for the workers: the broker is down.
    assert post(app, tenant, ["a", "b", "c", "d"], Prefer="wait=10").status_code == 503
    assert post(app, tenant, ["a"], Prefer="wait=0").status_code == 503
    app.config["RUN_INLINE_MAX_ITEMS"] = 0
    assert post(app, tenant, ["a"], Prefer="wait=10").status_code == 503
    with app.app_context():
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 3 * 2
        assert audit.audit() == []


def worker_processes(app, shared, plugins, tmp_path, broker_url=REDIS_URL):
    """For a test with real Celery worker processes (tests/servers/worker_process.py) on
    this test's PostgreSQL and Redis: the app sends its runs to a queue of its own, and
    ``start(name, **environment)`` starts a worker on it; they note what they do in
    ``markers``. Skips on SQLite: Celery workers run on PostgreSQL (docs/deploy.md)."""
    if shared.database.url.startswith("sqlite"):
        pytest.skip("Celery workers run on PostgreSQL (docs/deploy.md)")
    plugins.register(scripted_plugin(ScriptedProvider()), "scripted")  # "echo" to submit
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    queue = f"igny8-workers-{uuid.uuid4().hex[:8]}"
    app.config.update(CELERY_BROKER_URL=broker_url, CELERY_QUEUE=queue, RUN_DEFAULT_WAIT=0)
    app.extensions["igny8_runner"] = CeleryRunner(app, make_celery(app))
    markers = tmp_path / "markers"
    markers.touch()

    def start(name, **environment):
        return subprocess.Popen(
            [sys.executable, WORKER_PROCESS, shared.database.url, broker_url, queue],
            env={
                **os.environ,
                "MARKER_FILE": str(markers),
                "INSTANCE_PATH": str(tmp_path),
                "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
                **environment,
            },
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker-{name}.log", "w"),
            start_new_session=True,
        )

    return start, markers


def test_a_worker_killed_with_items_in_flight_is_resumed_by_another_and_no_item_is_charged_twice(
    app, shared, tenant, plugins, tmp_path
):
    """SIGKILL a Celery worker with 16 items in flight: 8 charged but not committed, 8 at
    the provider with their credits held. A second worker takes the run over, gives the
    holds back, redoes the 16 without charging the first 8 again, does the rest, and the
    ledger audits clean. On PostgreSQL, the database Celery deployments run on (make
    serve); the take-over itself is tested on both below."""
    worker, markers = worker_processes(app, shared, plugins, tmp_path)
    items = [f"i{n}" for n in range(20)]
    charged, hanging = items[:8], items[8:16]  # the 16 in flight (RUN_ITEM_CONCURRENCY)

    run_id = post(app, tenant, items).json["run"]["id"]
    first = worker("first", PAUSE_ON=",".join(charged), HANG_ON=",".join(hanging))
    go = tmp_path / "second-worker-go"
    second = worker("second", START_FILE=str(go))  # starts up meanwhile, then waits
    try:
        try:
            deadline = time.monotonic() + 30
            while True:
                seen = markers.read_text().split("\n")
                if all(f"charged {i}" in seen for i in charged) and all(
                    f"calling {i}" in seen for i in hanging
                ):
                    break
                assert time.monotonic() < deadline and first.poll() is None, "never got there"
                time.sleep(0.05)
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        with app.app_context():
            run = db.session.get(OperationRun, run_id)
            assert (run.status, run.items_succeeded) == ("running", 0)
            # 8 items charged 2 each, never committed; 8 holds open at the provider
            assert len(audit.open_holds(timedelta(0))) == 8
            held = -sum(h.amount for h in audit.open_holds(timedelta(0)))
            assert db.session.get(Account, tenant.account_id).credits == 1000 - 16 - held
        go.touch()
        done = poll(app, tenant, run_id, timeout=30)
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    assert done["run"]["status"] == "succeeded"
    assert [r["item"] for r in done["results"]] == items
    seen = markers.read_text().split("\n")
    assert all(seen.count(f"charged {i}") == 2 for i in charged)  # done twice...
    with app.app_context():
        # ...and charged once: 2 credits per item
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 40
        assert done["run"]["credits_used"] == 40
        assert audit.audit() == [] and audit.open_holds(timedelta(0)) == []


def test_a_run_whose_worker_went_silent_is_taken_over_and_what_it_held_given_back(
    app, tenant, plugins
):
    plugins.register(scripted_plugin(ScriptedProvider()), "scripted")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
        run = engine.submit(tenant.account_id, "echo", ["a", "b"]).run
        run.status, run.heartbeat_at = "running", utcnow() - timedelta(seconds=120)
        db.session.commit()
        # The vanished worker was at the provider for item 0: its hold is still open.
        ledger.hold(tenant.account_id, 5, 1, f"{run.id}.0.lost")
        db.session.commit()
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 5
        assert engine.stale_runs(60) == [run.id] and engine.stale_runs(600) == []

        alive = engine.execute_run(run.id, stale_after=600)  # silent for less than that
        assert alive.run.status == "running" and alive.results == []

        resumed = engine.execute_run(run.id, stale_after=60)
        assert resumed.run.status == "succeeded"
        assert [r["item"] for r in resumed.results] == ["a", "b"]
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 4
        assert audit.audit() == [] and audit.open_holds(timedelta(0)) == []


def test_worker_without_a_broker_says_what_to_set(runner):
    result = runner.invoke(args=["igny8", "worker"])
    assert result.exit_code == 1 and "IGNY8_CELERY_BROKER_URL" in result.output


def test_beats_sweep_sends_again_a_run_whose_message_was_lost(app, shared, tenant, plugins):
    runner = shared.celery()
    app.extensions["igny8_runner"] = runner
    plugins.register(scripted_plugin(ScriptedProvider()), "scripted")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
        # Queued long ago and never sent: the broker lost it (Redis restarted).
        run = engine.submit(tenant.account_id, "echo", ["a"]).run
        run.created_at = utcnow() - timedelta(seconds=app.config["RUN_STALE_AFTER"] + 60)
        db.session.commit()
        run_id = run.id
    runner.celery.tasks["igny8.sweep_runs"].apply_async(queue=runner.queue)
    assert poll(app, tenant, run_id)["run"]["status"] == "succeeded"
