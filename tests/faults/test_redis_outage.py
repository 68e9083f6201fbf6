"""Redis (the broker, the rate-limit and provider-limit counts) goes away and comes back:
the API keeps answering, degraded, never 500, and nothing is held for what it refuses."""

# ruff: noqa: F811  (fixtures imported below are the tests' arguments)

import logging

from fault_support import redis_server  # noqa: F401  (a fixture)
from metering_support import EchoRoute, ScriptedProvider, add_model, scripted_plugin

from igny8.billing import audit
from igny8.extensions import db
from igny8.models import Account, GlobalIntegrationSettings, OperationRun


def redis_app(make_app, url, **extra):
    app = make_app(
        CELERY_BROKER_URL=url,
        CELERY_QUEUE="igny8-fault",
        RATELIMIT_STORAGE_URI=url,
        LIMITS_STORAGE_URL=url,
        RUN_DEFAULT_WAIT=0,
        EXTRA_PLUGINS=[EchoRoute()],
        **extra,
    )
    app.extensions["igny8"].register(scripted_plugin(ScriptedProvider()), "scripted")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    return app


def test_with_redis_gone_reads_health_and_waited_runs_work_and_submits_get_503(
    make_app, tenant_factory_for, redis_server, caplog
):
    app = redis_app(make_app, redis_server.url, API_RATE_LIMIT="30 per minute")
    tenant = tenant_factory_for(app)
    client = app.test_client()
    assert client.get("/api/v1/me", headers=tenant.headers).status_code == 200
    health = client.get("/api/v1/health").json
    assert {c["name"]: c["level"] for c in health["checks"]}["broker"] == "green"

    redis_server.kill()
    caplog.set_level(logging.WARNING)
    for _ in range(5):  # reads answer, counted per process
        answer = client.get("/api/v1/me", headers=tenant.headers)
        assert answer.status_code == 200
        assert "X-RateLimit-Limit" in answer.headers
    assert "falling back to in-memory storage" in caplog.text
    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.json["status"] == "degraded"
    broker = {c["name"]: c for c in health.json["checks"]}["broker"]
    assert broker["level"] == "amber" and "broker unreachable" in broker["detail"]

    # A run nobody waits for needs the broker: 503 with Retry-After, nothing kept or held.
    queued = client.post("/api/v1/echo/", json={"items": ["a"]}, headers=tenant.headers)
    assert queued.status_code == 503
    assert queued.json["error"]["code"] == "queue_unavailable"
    # (Flask-Limiter raises it to its window's reset when that is later.)
    assert int(queued.headers["Retry-After"]) >= 5
    # A small run its request waits for is done by the web process, broker or not.
    waited = client.post(
        "/api/v1/echo/", json={"items": ["a"]}, headers={**tenant.headers, "Prefer": "wait=10"}
    )
    assert waited.status_code == 200 and waited.json["run"]["status"] == "succeeded"
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(OperationRun.id))).scalar() == 1
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 2
        assert audit.audit() == []

    redis_server.start()  # back: runs are queued again
    again = client.post("/api/v1/echo/", json={"items": ["b"]}, headers=tenant.headers)
    assert again.status_code == 202
    health = client.get("/api/v1/health").json
    assert {c["name"]: c["level"] for c in health["checks"]}["broker"] == "green"
    with app.app_context():  # nobody works this queue here: the queued run is cancelled
        run = db.session.get(OperationRun, again.json["run"]["id"])
        run.status = "cancelled"
        db.session.commit()


def test_with_redis_gone_rate_limits_still_hold_per_process(
    make_app, tenant_factory_for, redis_server
):
    app = redis_app(make_app, redis_server.url, API_RATE_LIMIT="3 per minute")
    tenant = tenant_factory_for(app)
    client = app.test_client()
    redis_server.kill()
    codes = [client.get("/api/v1/me", headers=tenant.headers).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]  # never off, never a 500
