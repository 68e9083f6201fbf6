"""A tenant's notifications: a failed or partial run, and the balance running low, each
told once, listed newest first (unread ones alone), marked read; another account's are
not seen."""

from igny8.ai.engine import run_operation
from igny8.ai.provider import ProviderError
from igny8.extensions import db


def refused():
    return ProviderError("invalid_request", "the provider refused the request")


def listed(client, tenant, query=""):
    answer = client.get(f"/api/v1/notifications{query}", headers=tenant.headers)
    assert answer.status_code == 200
    return answer.json["items"]


def test_failed_and_partial_runs_are_told_once_each(app, client, tenant, provider):
    app.config["RUN_ITEM_CONCURRENCY"] = 1  # the script's errors go to the items in order
    with app.app_context():
        provider.script = [refused()]
        partial = run_operation(tenant.account_id, "echo", ["a", "b"]).run
        provider.script = [refused(), refused()]
        failed = run_operation(tenant.account_id, "echo", ["c", "d"]).run
        fine = run_operation(tenant.account_id, "echo", ["e"]).run
        assert (partial.status, failed.status, fine.status) == ("partial", "failed", "succeeded")
    items = listed(client, tenant)
    assert [(n["kind"], n["run_id"]) for n in items] == [
        ("run_failed", failed.id),
        ("run_partial", partial.id),
    ]
    assert "1 of 2 items succeeded" in items[1]["message"]
    assert all(n["read_at"] is None for n in items)


def test_a_low_balance_is_told_once_not_after_every_run(app, client, tenant_factory_for, provider):
    tenant = tenant_factory_for(app, credits=103)  # 2 credits a call; told under 100
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["a"])
    assert listed(client, tenant) == []  # 101 left
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["b"])
        run_operation(tenant.account_id, "echo", ["c"])
    [low] = listed(client, tenant)
    assert low["kind"] == "low_balance" and low["message"].startswith("99 credits left")


def test_notifications_are_marked_read_and_nobody_elses_are_seen(
    app, client, tenant, make_tenant, provider
):
    with app.app_context():
        provider.script = [refused()]
        run_operation(tenant.account_id, "echo", ["a"])
        provider.script = [refused()]
        run_operation(tenant.account_id, "echo", ["b"])
    first, second = listed(client, tenant)
    other = make_tenant()
    assert listed(client, other) == []
    stranger = client.post(f"/api/v1/notifications/{first['id']}/read", headers=other.headers)
    assert stranger.status_code == 404
    read = client.post(f"/api/v1/notifications/{first['id']}/read", headers=tenant.headers)
    assert read.status_code == 200 and read.json["read_at"] is not None
    assert [n["id"] for n in listed(client, tenant, "?unread=true")] == [second["id"]]
    everything = client.post("/api/v1/notifications/read", headers=tenant.headers)
    assert everything.json == {"read": 1}
    assert listed(client, tenant, "?unread=true") == []


def test_the_account_stream_carries_runs_and_notifications_and_resumes_from_last_event_id(
    app, client, tenant, make_tenant
):
    from igny8.models import Notification, OperationRun
    from igny8.timeutil import utcnow

    app.config.update(ACCOUNT_STREAM_POLL_SECONDS=0.05, EVENT_STREAM_MAX_SECONDS=1.5)
    other = make_tenant()
    stream = client.get("/api/v1/events", headers=tenant.headers, buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    with app.app_context():
        run = OperationRun(
            account_id=tenant.account_id, operation="echo", status="queued", items=1, work=["a"]
        )
        elsewhere = OperationRun(
            account_id=other.account_id, operation="echo", status="queued", items=1, work=["b"]
        )
        db.session.add_all([run, elsewhere])
        db.session.flush()
        told = Notification(
            account_id=tenant.account_id, kind="run_failed", message="run failed", run_id=run.id
        )
        db.session.add(told)
        db.session.add(Notification(account_id=other.account_id, kind="low_balance", message="x"))
        db.session.commit()
        run_id, told_id = run.id, told.id
    chunks = iter(stream.response)
    assert next(chunks) == b": connected\n\n"
    first = next(chunks).decode()
    assert f'"id": {run_id}' in first and '"status": "queued"' in first
    assert f"id: {told_id}\nevent: notification\n" in first
    with app.app_context():
        row = db.session.get(OperationRun, run_id)
        row.status, row.finished_at = "failed", utcnow()
        db.session.commit()
    rest = "".join(c.decode() for c in chunks)  # until the stream's time is up
    assert rest.count("event: run\n") == 1 and '"status": "failed"' in rest
    assert "low_balance" not in first + rest  # another account's
    stream.close()

    again = client.get(
        "/api/v1/events",
        headers={**tenant.headers, "Last-Event-ID": str(told_id - 1)},
        buffered=False,
    )
    resumed = iter(again.response)
    next(resumed)  # ": connected"
    assert f"id: {told_id}\nevent: notification" in next(resumed).decode()
    again.close()
