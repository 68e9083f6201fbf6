"""Idempotency-Key: a retry of the same request gets the first answer; the same key with
another request is 409; a duplicate that arrives mid-run waits for the first answer."""

import threading

import pytest
from content_support import KEYWORDS, Api, use_offline
from metering_support import Gate, add_model, scripted_plugin

from igny8.extensions import db
from igny8.models import GlobalIntegrationSettings, OperationRun, Task


@pytest.fixture
def api(app, client, tenant):
    use_offline(app)
    return Api(client, tenant)


def test_a_retried_cluster_request_gets_the_stored_run(app, client, api):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
    headers = {**api.tenant.headers, "Idempotency-Key": "cluster-1"}
    url = f"/api/v1/sites/{api.site}/keywords/cluster"
    first = client.post(url, json={}, headers=headers)
    # the retry after a timeout: every keyword is clustered now, the answer is the first one
    again = client.post(url, json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    with app.app_context():
        assert db.session.query(OperationRun).count() == 1
    other_body = client.post(url, json={"keyword_ids": [1]}, headers=headers)
    assert other_body.status_code == 409 and other_body.json["error"]["code"] == "conflict"
    other_route = client.post(
        f"/api/v1/sites/{api.site}/clusters/ideas", json={"cluster_ids": [1]}, headers=headers
    )
    assert other_route.status_code == 409


def test_creating_tasks_honours_the_key(app, client, api):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    clusters = api("get", "/api/v1/sites/{site}/clusters")["items"]
    api("post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": [clusters[0]["id"]]}, 200)
    idea = api("get", "/api/v1/sites/{site}/ideas")["items"][0]
    headers = {**api.tenant.headers, "Idempotency-Key": "tasks-1"}
    body = {"idea_ids": [idea["id"]]}
    first = client.post(f"/api/v1/sites/{api.site}/tasks", json=body, headers=headers)
    again = client.post(f"/api/v1/sites/{api.site}/tasks", json=body, headers=headers)
    assert first.status_code == again.status_code and first.status_code < 300
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.query(Task).count() == 1


def test_a_bad_key_is_400(client, api):
    headers = {**api.tenant.headers, "Idempotency-Key": "x" * 201}
    answer = client.post(f"/api/v1/sites/{api.site}/keywords/cluster", json={}, headers=headers)
    assert answer.status_code == 400


def test_a_duplicate_mid_run_waits_for_the_first_answer(app, plugins, tenant_factory_for):
    gate = Gate()
    plugins.register(scripted_plugin(gate), "scripted_plugin")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    tenant = tenant_factory_for(app)
    headers = {**tenant.headers, "Idempotency-Key": "echo-1"}
    answers = {}

    def send(name):
        answers[name] = app.test_client().post(
            "/api/v1/echo/", json={"items": ["a"]}, headers=headers
        )

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert gate.entered.wait(10)  # the first request is inside its provider call
    second = threading.Thread(target=send, args=("second",))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting, not answering with a running run
    gate.gate.set()
    first.join(10)
    second.join(10)
    assert answers["first"].status_code == answers["second"].status_code == 200
    assert answers["second"].json == answers["first"].json
    assert answers["second"].json["run"]["status"] == "succeeded"
    assert answers["second"].headers["Idempotent-Replayed"] == "true"
    assert len(gate.calls) == 1
