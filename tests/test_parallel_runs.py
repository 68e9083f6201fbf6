"""A run's items in parallel: the run's and the account's limits, fair share between
accounts, a small balance raced for by many items, cancel with items in flight, and
model limits (calls in flight, a 429's pause) shared across processes through Redis."""

# ruff: noqa: F811  (the fixtures imported below are the tests' arguments)

import subprocess
import sys
import threading
import time

import pytest
from conftest import REDIS_URL
from metering_support import SlowProvider, add_model, scripted_plugin
from sqlalchemy import func, select
from test_admin import admin, admin_user  # noqa: F401  (fixtures)
from test_background_runs import (
    poll,
    post,
    run_engine,  # noqa: F401  (a fixture: both runners)
)

from igny8.ai.engine import run_operation, submit
from igny8.ai.provider import ProviderError
from igny8.billing import audit
from igny8.extensions import db
from igny8.limits import Limits, ModelLimits, check_limit
from igny8.limits.backends import RedisCounts
from igny8.limits.window import wait_for_room
from igny8.models import (
    Account,
    AccountModelLimit,
    AIModelConfig,
    CreditUsageLog,
    GlobalIntegrationSettings,
)
from igny8.models.runs import read_run
from igny8.runner import EmbeddedRunner


def current_limits_of(app):
    return app.extensions["igny8_limits"]


def run_operation_on(app, tenant, model_id, items):
    """The echo operation with the account's text model set to ``model_id`` (paid plans)."""
    from igny8.models import IntegrationSettings

    db.session.add(IntegrationSettings(account_id=tenant.account_id, text_model_id=model_id))
    db.session.commit()
    return run_operation(tenant.account_id, "echo", items)


@pytest.fixture
def slow(app, plugins):
    """A provider that takes 0.2 s a call, the default text model's."""
    provider = SlowProvider(delay=0.2)
    plugins.register(scripted_plugin(provider), "slow")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    return provider


def test_a_runs_items_call_the_provider_at_once_up_to_the_runs_limit(app, tenant, slow):
    app.config["RUN_ITEM_CONCURRENCY"] = 8
    items = [f"i{n}" for n in range(20)]
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", items)
        assert outcome.run.status == "succeeded" and outcome.run.items_succeeded == 20
        assert [r["item"] for r in outcome.results] == items  # in the items' order
        assert outcome.run.credits_used == 20 * 2
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 40
        assert audit.audit() == []
    assert slow.peak == 8  # parallel, and never past the run's limit


def test_many_items_racing_for_a_small_balance_never_go_below_zero(
    app, run_engine, make_tenant, slow
):
    slow.delay = 0.05
    tenant = make_tenant(credits=13)  # each call holds its worst case and is charged 2
    answer = post(app, tenant, [f"i{n}" for n in range(40)], Prefer="wait=30")
    assert answer.status_code == 200
    run, results = answer.json["run"], answer.json["results"]
    with app.app_context():
        credits = db.session.get(Account, tenant.account_id).credits
        charged = db.session.execute(select(func.sum(CreditUsageLog.credits_used))).scalar()
        assert credits >= 0 and credits + charged == 13
        assert run["items_succeeded"] + run["items_failed"] == 40 and run["items_succeeded"] >= 1
        assert run["credits_used"] == charged == 2 * run["items_succeeded"]
        codes = {r["error"]["code"] for r in results if r["status"] == "failed"}
        assert codes == {"insufficient_credits"}
        assert run["status"] == "partial"
        assert audit.audit() == []


def test_an_accounts_runs_share_its_limit(app, tenant, slow):
    app.config.update(ACCOUNT_CONCURRENCY=4, RUN_ITEM_CONCURRENCY=16)
    runner = EmbeddedRunner(app, 4)
    with app.app_context():
        ids = [
            submit(tenant.account_id, "echo", [f"r{r}-{n}" for n in range(6)]).run.id
            for r in range(2)
        ]
    for run_id in ids:
        runner.start(run_id, account_id=tenant.account_id)
    assert runner.idle(30)
    assert slow.peak == 4  # two runs of 6 items, never more than 4 at once
    with app.app_context():
        assert [read_run(i).status for i in ids] == ["succeeded", "succeeded"]


def test_a_long_run_of_one_account_does_not_hold_back_another(app, make_tenant, slow):
    app.config.update(ACCOUNT_CONCURRENCY=4, RUN_ITEM_CONCURRENCY=16)
    big, small = make_tenant(credits=10_000), make_tenant()
    runner = EmbeddedRunner(app, 4)
    with app.app_context():
        long_run = submit(big.account_id, "echo", [f"big{n}" for n in range(40)]).run.id
        short_run = submit(small.account_id, "echo", [f"small{n}" for n in range(4)]).run.id
    runner.start(long_run, account_id=big.account_id)
    time.sleep(0.1)  # the long run has its items going
    runner.start(short_run, account_id=small.account_id)
    assert runner.idle(60)
    small_spans = [slow.spans[f"small{n}"] for n in range(4)]
    big_end = max(end for said, (_, end) in slow.spans.items() if said.startswith("big"))
    # The other account's 4 items ran at once, beside the long run, and ended long before it.
    assert max(start for start, _ in small_spans) < min(end for _, end in small_spans)
    assert max(end for _, end in small_spans) < big_end - 1.0
    assert slow.peak == 8


def test_cancel_with_items_in_flight_lets_them_settle_and_starts_no_more(
    app,
    run_engine,
    tenant,
    slow,
):
    app.config.update(RUN_ITEM_CONCURRENCY=2, RUN_DEFAULT_WAIT=0)
    slow.gate = threading.Event()
    run_id = post(app, tenant, [f"i{n}" for n in range(6)]).json["run"]["id"]
    try:
        for _ in range(500):
            if slow.in_flight == 2:
                break
            time.sleep(0.01)
        assert slow.in_flight == 2
        cancelled = app.test_client().post(f"/api/v1/runs/{run_id}/cancel", headers=tenant.headers)
        assert cancelled.status_code == 202
    finally:
        slow.gate.set()
    body = poll(app, tenant, run_id)
    assert body["run"]["status"] == "cancelled"
    assert [r["status"] for r in body["results"]] == ["succeeded"] * 2 + ["cancelled"] * 4
    assert len(slow.calls) == 2 and body["run"]["credits_used"] == 4
    with app.app_context():
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 4
        assert audit.audit() == []


def test_a_models_limit_on_calls_in_flight_holds_across_runs_and_accounts(app, make_tenant, slow):
    with app.app_context():
        model = db.session.execute(
            select(AIModelConfig).where(AIModelConfig.provider == "scripted")
        ).scalar_one()
        model.max_concurrency = 3
        db.session.commit()
    tenants = [make_tenant(), make_tenant()]
    runner = EmbeddedRunner(app, 4)
    with app.app_context():
        ids = [
            submit(t.account_id, "echo", [f"{t.account_id}-{n}" for n in range(6)]).run.id
            for t in tenants
        ]
    for run_id, t in zip(ids, tenants, strict=True):
        runner.start(run_id, account_id=t.account_id)
    assert runner.idle(60)
    assert slow.peak == 3
    with app.app_context():
        assert all(read_run(i).status == "succeeded" for i in ids)


def most_at_once(spans) -> int:
    """The most of these (start, end) spans that overlapped at one moment."""
    moments = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    now = peak = 0
    for _, step in moments:
        now += step
        peak = max(peak, now)
    return peak


def test_an_accounts_own_limit_on_a_model_holds_it_back_and_nobody_else(app, make_tenant, slow):
    app.config.update(RUN_ITEM_CONCURRENCY=16)
    capped, free = make_tenant(), make_tenant()
    with app.app_context():
        model = db.session.execute(
            select(AIModelConfig).where(AIModelConfig.provider == "scripted")
        ).scalar_one()
        db.session.add(
            AccountModelLimit(account_id=capped.account_id, model_id=model.id, max_concurrency=2)
        )
        db.session.commit()
    runner = EmbeddedRunner(app, 4)
    with app.app_context():
        runs = {
            t.account_id: submit(t.account_id, "echo", [f"{t.account_id}-{n}" for n in range(6)])
            for t in (capped, free)
        }
    for account_id, outcome in runs.items():
        runner.start(outcome.run.id, account_id=account_id)
    assert runner.idle(60)

    def spans_of(tenant):
        return [slow.spans[f"{tenant.account_id}-{n}"] for n in range(6)]

    assert most_at_once(spans_of(capped)) == 2
    assert most_at_once(spans_of(free)) == 6
    with app.app_context():
        assert all(read_run(o.run.id).status == "succeeded" for o in runs.values())
        assert audit.audit() == []


def test_a_429_pauses_the_models_queue_then_the_call_is_retried(app, run_engine, tenant, slow):
    app.config["RUN_ITEM_CONCURRENCY"] = 1
    slow.delay = 0.0
    slow.script = [ProviderError("rate_limited", "slow down", retry_after=0.6)]
    started = time.monotonic()
    answer = post(app, tenant, ["a", "b", "c"], Prefer="wait=30")
    took = time.monotonic() - started
    assert answer.status_code == 200 and answer.json["run"]["status"] == "succeeded"
    assert answer.json["run"]["credits_used"] == 6
    starts = sorted(start for start, _ in slow.spans.values())
    assert len(slow.calls) == 4  # one refused, then a, b, c
    assert took >= 0.6 and starts[0] - started >= 0.5  # no call started during the pause


def test_a_429_slows_its_own_model_and_nobody_elses(app, make_tenant, slow, plugins):
    """While one model is paused, another model's calls go on."""
    app.config["RUN_ITEM_CONCURRENCY"] = 4
    tenant, other_tenant = make_tenant(), make_tenant()
    with app.app_context():
        other = add_model(name="scripted-2")
        db.session.commit()
        limits = current_limits_of(app)
        limits.pause("scripted/scripted-1", 1.0)
        on_other = run_operation_on(app, tenant, other.id, ["x1", "x2"])
        assert on_other.run.status == "succeeded"
    assert max(end for _, end in slow.spans.values()) - min(s for s, _ in slow.spans.values()) < 0.9
    with app.app_context():
        started = time.monotonic()
        paused = run_operation(other_tenant.account_id, "echo", ["p1"])  # on scripted-1
        assert paused.run.status == "succeeded" and time.monotonic() - started >= 0.3


def test_limits_are_shared_between_processes_through_redis():
    """Another process holds 2 of a model's 3 slots in Redis: this one gets 1."""
    import redis

    prefix = f"igny8-test-{time.time_ns()}:limits:"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, redis\n"
            "from igny8.limits.backends import RedisCounts\n"
            "counts = RedisCounts(redis.Redis.from_url(sys.argv[1]), prefix=sys.argv[2])\n"
            "slots = [counts.try_acquire('m', 3, 60) for _ in range(2)]\n"
            "assert all(slots)\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n"
            "for s in slots: counts.release('m', s)\n",
            REDIS_URL,
            prefix,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        limits = Limits(RedisCounts(redis.Redis.from_url(REDIS_URL), prefix=prefix))
        first = limits.try_slot("m", 3, 60)
        assert first is not None and limits.try_slot("m", 3, 60) is None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(10) == 0
        assert limits.try_slot("m", 3, 60) is not None  # the other process let go
        assert limits.snapshot("m")["in_flight"] == 2
    finally:
        holder.kill()


def test_without_redis_limits_fall_back_to_this_process_with_a_warning(caplog):
    import redis

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    limits = Limits(RedisCounts(dead))
    model = ModelLimits("scripted/m", concurrency=1)
    with caplog.at_level("WARNING", logger="igny8.limits"):
        with limits.call(model, tokens=10, timeout=1):
            assert limits.backend == "process (Redis unreachable)"
            with pytest.raises(TimeoutError):  # still limited: the one slot is taken
                with limits.call(model, tokens=10, timeout=1, deadline=time.monotonic() + 0.3):
                    pass
    assert "Redis is unreachable" in caplog.text


def test_a_requests_per_minute_budget_makes_calls_wait_not_fail():
    limits = Limits()
    model = ModelLimits("p/m", requests_per_minute=2)
    for _ in range(2):
        with limits.call(model, tokens=0, timeout=1):
            pass
    with pytest.raises(TimeoutError):  # the third waits for the window to move
        with limits.call(model, tokens=0, timeout=1, deadline=time.monotonic() + 0.3):
            pass


def test_the_sliding_window_says_how_long_until_there_is_room():
    assert wait_for_room(0, 0, 120.0, 10, 5) == 0  # empty
    assert wait_for_room(0, 0, 120.0, 10, 50) == 0  # too big for the limit: once, on empty
    assert wait_for_room(0, 8, 120.0, 10, 2) == 0  # 8 + 2 fits
    # the next minute, once this minute's 9, weighted down, leave room for 2: 60 + 60/9 s
    assert 66 < wait_for_room(0, 9, 120.0, 10, 2) < 67
    # 10 last minute, at its end: half of it still counts at 30 s into this one
    assert wait_for_room(10, 0, 150.0, 10, 5) == 0
    assert 0 < wait_for_room(10, 0, 135.0, 10, 5) <= 15.01


@pytest.mark.parametrize("value", [0, -3, "0", "many", 1.5])
def test_a_limit_of_zero_or_less_is_refused_where_it_is_set(app, value):
    with pytest.raises(ValueError):
        check_limit("max_concurrency", value)
    with app.app_context():
        with pytest.raises(ValueError):
            AIModelConfig(model_name="x", provider="p", model_type="text", max_concurrency=value)
        with pytest.raises(ValueError):
            Account(name="x", max_concurrency=value)
        with pytest.raises(ValueError):
            AccountModelLimit(account_id=1, model_id=1, requests_per_minute=value)
    from igny8.ai.provider import ModelSpec

    with pytest.raises(ValueError):
        ModelSpec("x", "text", max_concurrency=value)


def test_a_zero_concurrency_setting_is_refused_at_start(make_app):
    from igny8.config import ConfigError

    with pytest.raises(
        ConfigError, match="RUN_ITEM_CONCURRENCY must be a whole number of at least 1"
    ):
        make_app(RUN_ITEM_CONCURRENCY=0)


def test_system_health_shows_each_models_calls_in_flight_waiting_and_limits(
    app, admin, tenant, slow
):
    with app.app_context():
        model = db.session.execute(
            select(AIModelConfig).where(AIModelConfig.provider == "scripted")
        ).scalar_one()
        model.max_concurrency, model.requests_per_minute = 2, 600
        db.session.commit()
    app.config["RUN_ITEM_CONCURRENCY"] = 4
    slow.gate = threading.Event()
    runner = EmbeddedRunner(app, 1)
    with app.app_context():
        run_id = submit(tenant.account_id, "echo", [f"i{n}" for n in range(4)]).run.id
    runner.start(run_id, account_id=tenant.account_id)
    try:
        for _ in range(200):
            if slow.in_flight == 2:
                break
            time.sleep(0.01)
        time.sleep(0.3)  # the other two are waiting for a slot
        page = admin.get("/admin/monitoring/health/").get_data(as_text=True)
    finally:
        slow.gate.set()
    assert runner.idle(30)
    row = page.split('id="provider-queues"')[1].split("scripted/scripted-1")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    # in flight, waiting, paused, requests in the last minute, then the limits
    assert cells[:2] == ["2", "2"] and cells[4:6] == ["2", "600"]
    assert "limits counted in: process" in page


def test_an_admin_cannot_save_a_limit_of_zero(app, admin):
    from metering_support import model_named
    from test_admin import csrf_from

    with app.app_context():
        model_id = model_named("gpt-4o").id
    edit_url = f"/admin/aimodelconfig/edit/?id={model_id}"
    form = {
        "model_name": "gpt-4o",
        "provider": "openai",
        "model_type": "text",
        "display_name": "GPT-4o",
        "cost_per_1k_input": "0.0025",
        "cost_per_1k_output": "0.01",
        "cost_per_image": "0",
        "tokens_per_credit": "1000",
        "credits_per_image": "1",
        "is_active": "y",
        "sort_order": "1",
    }
    for field, value in (("max_concurrency", "0"), ("tokens_per_minute", "-5")):
        page = admin.get(edit_url).get_data(as_text=True)
        answer = admin.post(
            edit_url,
            data={**form, field: value, "csrf_token": csrf_from(page)},
            follow_redirects=True,
        ).get_data(as_text=True)
        assert "must be at least 1" in answer, field
    with app.app_context():
        model = db.session.get(AIModelConfig, model_id)
        assert (model.max_concurrency, model.tokens_per_minute) == (None, None)


def test_on_a_celery_worker_two_accounts_share_its_threads_fairly(
    app, shared, make_tenant, plugins, tmp_path
):
    """`flask igny8 worker`'s default pool (threads) runs one account's long run and
    another's short one side by side, each account within its limit, in a real worker
    process on Redis and PostgreSQL."""
    import os
    import signal

    from test_background_runs import worker_processes

    start, markers = worker_processes(app, shared, plugins, tmp_path)
    big, small = make_tenant(credits=10_000), make_tenant()
    worker = start(
        "fair",
        POOL="threads",
        CONCURRENCY="4",
        SLOW_SECONDS="0.3",
        ACCOUNT_CONCURRENCY="4",
        RUN_STALE_AFTER="60",
    )
    try:
        long_run = post(app, big, [f"big{n}" for n in range(24)]).json["run"]["id"]
        short_run = None
        deadline = time.monotonic() + 30
        while "span big" not in markers.read_text():  # the long run is under way
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never started"
            time.sleep(0.05)
        short_run = post(app, small, [f"small{n}" for n in range(4)]).json["run"]["id"]
        assert poll(app, small, short_run, timeout=30)["run"]["status"] == "succeeded"
        assert poll(app, big, long_run, timeout=60)["run"]["status"] == "succeeded"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    spans = {}
    for line in markers.read_text().splitlines():
        if line.startswith("span "):
            _, item, start, end = line.split()
            spans[item] = (float(start), float(end))
    small_spans = [spans[f"small{n}"] for n in range(4)]
    big_spans = [spans[f"big{n}"] for n in range(24)]
    # The small account's 4 items ran at once, beside the long run, and long before its end.
    assert max(s for s, _ in small_spans) < min(e for _, e in small_spans)
    assert max(e for _, e in small_spans) < max(e for _, e in big_spans) - 0.5

    def peak(spans_):
        events = sorted([(s, 1) for s, _ in spans_] + [(e, -1) for _, e in spans_])
        level = top = 0
        for _, change in events:
            level += change
            top = max(top, level)
        return top

    assert peak(big_spans) == 4 and peak(small_spans) == 4  # each account within its limit
    with app.app_context():
        assert audit.audit() == []


def test_an_admin_sets_an_accounts_limit_on_a_model_and_cannot_set_zero(app, admin, tenant):
    from metering_support import model_named
    from test_admin import csrf_from

    with app.app_context():
        model_id = model_named("gpt-4o").id
    url = "/admin/accountmodellimit/new/"
    form = {"account": str(tenant.account_id), "model": str(model_id)}
    page = admin.get(url).get_data(as_text=True)
    refused = admin.post(
        url,
        data={**form, "max_concurrency": "0", "csrf_token": csrf_from(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "must be at least 1" in refused
    with app.app_context():
        assert db.session.scalars(select(AccountModelLimit)).all() == []
    page = admin.get(url).get_data(as_text=True)
    admin.post(
        url,
        data={
            **form,
            "max_concurrency": "3",
            "tokens_per_minute": "90000",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=True,
    )
    with app.app_context():
        saved = db.session.scalars(select(AccountModelLimit)).one()
        assert (saved.account_id, saved.model_id) == (tenant.account_id, model_id)
        assert (saved.max_concurrency, saved.requests_per_minute, saved.tokens_per_minute) == (
            3,
            None,
            90000,
        )
