"""AI endpoints answer with the run: 402 without a provider call, replays, 409, 403, /runs."""

import pytest
from metering_support import ScriptedProvider, add_model, scripted_plugin

from igny8 import modules
from igny8.ai.provider import ProviderError
from igny8.extensions import db
from igny8.models import GlobalIntegrationSettings


@pytest.fixture
def api(app, plugins):
    scripted = ScriptedProvider()
    plugins.register(scripted_plugin(scripted), "scripted_plugin")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    return app, scripted


def post(app, tenant, items, **headers):
    return app.test_client().post(
        "/api/v1/echo/", json={"items": items}, headers={**tenant.headers, **headers}
    )


def test_run_response_shape(api, tenant_factory_for):
    app, _ = api
    tenant = tenant_factory_for(app)
    body = post(app, tenant, ["a"]).json
    assert set(body["run"]) >= {
        "id",
        "operation",
        "status",
        "items",
        "credits_used",
        "cost_usd",
        "model",
        "resolved_by",
    }
    assert (
        body["run"]["status"],
        body["run"]["credits_used"],
        body["run"]["cost_usd"],
        body["run"]["model"],
        body["run"]["resolved_by"],
    ) == ("succeeded", 2, "0.00600000", "scripted-1", "global")
    assert body["results"] == [{"item": "a", "status": "succeeded", "text": '{"ok": true}'}]


def test_insufficient_credits_is_402_and_calls_nobody(api, tenant_factory_for):
    app, scripted = api
    tenant = tenant_factory_for(app, credits=0)
    response = post(app, tenant, ["a"])
    assert response.status_code == 402
    assert response.json["error"]["code"] == "insufficient_credits"
    assert response.json["error"]["details"]["run"]["status"] == "failed"
    assert scripted.calls == []


def test_a_run_that_failed_at_the_provider_is_502(api, tenant_factory_for):
    app, scripted = api
    tenant = tenant_factory_for(app)
    scripted.script = [ProviderError("invalid_request", "no"), ProviderError("auth_failed", "key")]
    response = post(app, tenant, ["a", "b"])
    assert response.status_code == 502
    error = response.json["error"]
    assert error["code"] == "provider_error" and "auth_failed, invalid_request" in error["message"]
    assert error["details"]["run"]["status"] == "failed"
    # one item through: the run is partial, and that is a 200 with both results
    scripted.script = [ProviderError("invalid_request", "no")]
    partial = post(app, tenant, ["a", "b"])
    assert partial.status_code == 200 and partial.json["run"]["status"] == "partial"


def test_idempotency_key_replays_the_stored_run(api, tenant_factory_for):
    app, scripted = api
    tenant = tenant_factory_for(app)
    first = post(app, tenant, ["a"], **{"Idempotency-Key": "abc"})
    again = post(app, tenant, ["a"], **{"Idempotency-Key": "abc"})
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(scripted.calls) == 1
    me = app.test_client().get("/api/v1/me", headers=tenant.headers).json
    assert me["account"]["credits"] == 998
    conflict = post(app, tenant, ["b"], **{"Idempotency-Key": "abc"})
    assert conflict.status_code == 409 and conflict.json["error"]["code"] == "conflict"
    # Keys are per account: another tenant's "abc" is a new run.
    other = tenant_factory_for(app)
    assert (
        post(app, other, ["a"], **{"Idempotency-Key": "abc"}).json["run"]["id"]
        != first.json["run"]["id"]
    )


def test_switched_off_module_is_403_module_disabled(api, tenant_factory_for):
    app, scripted = api
    tenant = tenant_factory_for(app)
    with app.app_context():
        modules.set_enabled("writer", False)
        db.session.commit()
    response = post(app, tenant, ["a"])
    assert response.status_code == 403 and response.json["error"]["code"] == "module_disabled"
    assert scripted.calls == []


def test_runs_list_and_detail_are_tenant_scoped(api, tenant_factory_for):
    app, _ = api
    mine, theirs = tenant_factory_for(app), tenant_factory_for(app)
    run_id = post(app, mine, ["a", "b"]).json["run"]["id"]
    post(app, theirs, ["c"])
    client = app.test_client()
    listing = client.get("/api/v1/runs", headers=mine.headers).json
    assert [r["id"] for r in listing["items"]] == [run_id] and listing["total"] == 1
    detail = client.get(f"/api/v1/runs/{run_id}", headers=mine.headers).json
    assert [r["item"] for r in detail["results"]] == ["a", "b"]
    assert client.get(f"/api/v1/runs/{run_id}", headers=theirs.headers).status_code == 404
    assert client.get("/api/v1/runs?status=failed", headers=mine.headers).json["total"] == 0


@pytest.mark.parametrize(
    "codes, status, code",
    [
        ({"internal_error", "timeout"}, 500, "internal_error"),
        ({"timeout", "rate_limited"}, 502, "provider_error"),
        ({"publish_failed"}, 502, "publish_failed"),
        ({"insufficient_credits", "conflict"}, 402, "insufficient_credits"),
        ({"prompt_error", "not_found"}, 422, "prompt_error"),
        ({"not_found", "conflict"}, 409, "run_failed"),
        (set(), 500, "internal_error"),
    ],
)
def test_a_run_whose_items_all_failed_answers_by_its_gravest_cause(codes, status, code):
    from igny8.api.runs import failed_run_row

    assert failed_run_row(codes)[1:3] == (status, code)
