"""A tenant's notifications: a failed or partial run, and the balance running low, each
told once, listed newest first (unread ones alone), marked read; another account's are
not seen."""

import pytest
from metering_support import ScriptedProvider, add_model, scripted_plugin

from igny8.ai.engine import run_operation
from igny8.ai.provider import ProviderError
from igny8.extensions import db
from igny8.models import GlobalIntegrationSettings


@pytest.fixture
def provider(app, plugins):
    scripted = ScriptedProvider()
    plugins.register(scripted_plugin(scripted), "scripted_plugin")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    return scripted


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


def test_a_low_balance_is_told_once_not_after_every_run(
    app, client, tenant_factory_for, provider
):
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
