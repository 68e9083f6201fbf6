"""PostgreSQL connections killed (as a restart or a failover does): requests after it
answer as usual, requests while it is away get 503 with Retry-After, and an item whose
connection was lost is done again, charged once, its holds given back at once."""

# ruff: noqa: F811  (fixtures imported below are the tests' arguments)

import threading
import time

import pytest
from conftest import PG_URL, app_config
from fault_support import postgres_server  # noqa: F401  (a fixture)
from metering_support import SlowProvider, add_model, scripted_plugin
from sqlalchemy import create_engine, func, make_url, select, text

from igny8 import create_app, hookimpl, seed
from igny8.ai.engine import run_operation
from igny8.billing import audit
from igny8.extensions import db
from igny8.models import Account, CreditUsageLog, GlobalIntegrationSettings, Keyword
from igny8.registry import Operation


def kill_connections(database_url: str) -> int:
    """pg_terminate_backend for every connection of this test session's database."""
    name = make_url(database_url).query["application_name"]
    admin = create_engine(PG_URL)
    with admin.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar()
    admin.dispose()
    return killed


@pytest.fixture
def postgres_only(shared):
    if shared.database.url.startswith("sqlite"):
        pytest.skip("a PostgreSQL fault")
    return shared


def test_a_pooled_connection_is_pinged_only_when_the_server_dropped_it_or_it_lay_idle(
    postgres_only, app, monkeypatch
):
    from igny8 import database

    pings = []
    with app.app_context():
        dialect = db.engine.dialect
        original = dialect.do_ping

        def counted(dbapi_connection):
            pings.append(1)
            return original(dbapi_connection)

        monkeypatch.setattr(dialect, "do_ping", counted)

        def use():
            with db.engine.connect() as conn:
                return conn.exec_driver_sql("SELECT 1").scalar()

        use()
        for _ in range(20):  # in steady use: no round trip of its own
            assert use() == 1
        assert pings == []
        assert kill_connections(postgres_only.database.url) >= 1
        time.sleep(0.2)  # the terminated backend's goodbye reaches the socket
        assert use() == 1  # the server spoke to the idle connection: pinged, replaced
        assert len(pings) == 1
        monkeypatch.setattr(database, "PING_IDLE_SECONDS", 0.05)
        time.sleep(0.1)
        assert use() == 1  # idle past PING_IDLE_SECONDS: pinged
        assert len(pings) == 2


def test_requests_after_the_connections_were_killed_answer_as_usual(postgres_only, app, tenant):
    client = app.test_client()
    threads = []
    for _ in range(8):  # several pooled connections
        threads.append(
            threading.Thread(
                target=client.get, args=("/api/v1/me",), kwargs={"headers": tenant.headers}
            )
        )
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kill_connections(postgres_only.database.url) >= 1
    codes = [client.get("/api/v1/sites", headers=tenant.headers).status_code for _ in range(30)]
    assert codes == [200] * 30


def test_while_the_database_is_away_requests_get_503_with_retry_after(tenant, tmp_path):
    app = create_app(app_config("postgresql+psycopg://postgres@127.0.0.1:9/nowhere", tmp_path))
    client = app.test_client()
    answer = client.get("/api/v1/sites", headers=tenant.headers)
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "database_unavailable"
    assert int(answer.headers["Retry-After"]) >= 5  # (or the rate limit's window, if later)


class WritesThenAsks:
    """An operation whose item writes a keyword, then calls the provider: its
    transaction (and connection) is open while the provider works."""

    @hookimpl
    def igny8_register_operations(self, register):
        def handler(ctx, item):
            db.session.add(Keyword(account_id=ctx.account_id, site_id=ctx.site_id, keyword=item))
            db.session.flush()
            return {"text": ctx.text([{"role": "user", "content": f"say {item}"}]).output}

        register(
            Operation(
                "writes_then_asks", module="writer", model_type="text", title="W", handler=handler
            )
        )


def test_an_item_that_lost_its_connection_is_done_again_and_charged_once(
    postgres_only, app, tenant, plugins
):
    provider = SlowProvider(delay=0.6)
    plugins.register(scripted_plugin(provider), "slow")
    plugins.register(WritesThenAsks(), "writes")
    app.config["RUN_ITEM_CONCURRENCY"] = 3
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    killer = threading.Timer(0.3, kill_connections, args=(postgres_only.database.url,))
    killer.start()  # while the three items are at the provider, their writes pending
    with app.app_context():
        outcome = run_operation(
            tenant.account_id, "writes_then_asks", ["a", "b", "c"], site_id=tenant.site_id
        )
        killer.join()
        assert outcome.run.status == "succeeded", outcome.results
        assert [r["status"] for r in outcome.results] == ["succeeded"] * 3
        assert len(provider.spans) == 3 and provider.peak >= 3
        keywords = db.session.execute(select(Keyword.keyword).order_by(Keyword.keyword)).scalars()
        assert list(keywords) == ["a", "b", "c"]  # each item's writes once
        calls = db.session.execute(select(func.count(CreditUsageLog.id))).scalar()
        charged = db.session.execute(select(func.sum(CreditUsageLog.credits_used))).scalar()
        assert calls == 6  # every item called the provider twice ...
        assert charged == 3 * 2  # ... and was charged once
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 6
        assert audit.open_holds(__import__("datetime").timedelta(0)) == []
        assert audit.audit() == []


def test_an_item_that_fails_inside_gives_its_hold_back_at_once_and_the_run_is_partial(
    app, tenant, plugins, monkeypatch
):
    """An internal error after the hold was taken (here: pricing the answer) ends the
    item and the run (partial: one item had succeeded), with the hold given back when the
    item ends, not half an hour later; the run's HTTP answer says it failed."""
    from datetime import timedelta

    import igny8.ai.meter as meter_module

    plugins.register(scripted_plugin(SlowProvider(delay=0)), "slow")
    app.config["RUN_ITEM_CONCURRENCY"] = 1  # "a" first, then "b"
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    real_price, calls = meter_module.price, []

    def price_then_fail(usage, card):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("a bug after the hold")
        return real_price(usage, card)

    monkeypatch.setattr(meter_module, "price", price_then_fail)
    answer = app.test_client().post(
        "/api/v1/echo/",
        json={"items": ["a", "b", "c"]},
        headers={**tenant.headers, "Prefer": "wait=10"},
    )
    assert answer.status_code == 200  # partial: the run's results, item by item
    run, results = answer.json["run"], answer.json["results"]
    assert run["status"] == "partial" and run["error"] == "the run stopped on an internal error"
    assert [r["status"] for r in results] == ["succeeded", "failed", "failed"]
    with app.app_context():
        assert audit.open_holds(timedelta(0)) == []  # given back when the item ended
        assert db.session.get(Account, tenant.account_id).credits == 1000 - 2
        assert audit.audit() == []
    calls.clear()
    calls.append(1)  # the next run's first call fails: nothing succeeded
    failed = app.test_client().post(
        "/api/v1/echo/", json={"items": ["d"]}, headers={**tenant.headers, "Prefer": "wait=10"}
    )
    assert failed.status_code == 500 and failed.json["error"]["code"] == "internal_error"
    assert failed.json["error"]["details"]["run"]["status"] == "failed"


class SlowRead:
    """GET /api/v1/slow-read: reads, waits (the test kills its connection meanwhile),
    reads again."""

    @hookimpl
    def igny8_register_blueprints(self, app):
        from flask import Blueprint, jsonify

        bp = Blueprint("slow_read", __name__, url_prefix="/api/v1/slow-read")

        @bp.get("/")
        def slow_read():
            db.session.execute(text("SELECT 1"))
            time.sleep(0.6)
            return jsonify({"n": db.session.execute(text("SELECT 2")).scalar()})

        app.register_blueprint(bp)


def test_a_request_whose_connection_is_killed_mid_request_gets_503_and_its_retry_works(
    postgres_only, make_app, tenant_factory_for
):
    app = make_app(EXTRA_PLUGINS=[SlowRead()])
    tenant = tenant_factory_for(app)
    client = app.test_client()
    killer = threading.Timer(0.3, kill_connections, args=(postgres_only.database.url,))
    killer.start()
    answer = client.get("/api/v1/slow-read/", headers=tenant.headers)
    killer.join()
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.json["error"]["code"] == "database_unavailable"
    assert int(answer.headers["Retry-After"]) >= 5
    again = client.get("/api/v1/slow-read/", headers=tenant.headers)  # the client's retry
    assert again.status_code == 200 and again.json == {"n": 2}


def test_a_database_server_that_crashes_and_restarts_costs_503s_then_nothing(
    postgres_server, tmp_path
):
    """The whole server goes (not only its connections): requests while it is down get
    503 database_unavailable with Retry-After, never 500, and once it is back every
    request answers as usual on the same app, its pool's dead connections replaced."""
    from conftest import create_tenant, migrate

    migrate(postgres_server.url, tmp_path)
    app = create_app(app_config(postgres_server.url, tmp_path))
    with app.app_context():
        seed.seed_catalog()
        db.session.commit()
    tenant = create_tenant(app)
    client = app.test_client()
    threads = [
        threading.Thread(
            target=client.get, args=("/api/v1/me",), kwargs={"headers": tenant.headers}
        )
        for _ in range(6)
    ]
    for t in threads:  # several pooled connections, all to die with the server
        t.start()
    for t in threads:
        t.join()
    assert client.get("/api/v1/sites", headers=tenant.headers).status_code == 200

    postgres_server.crash()
    for path in ("/api/v1/sites", "/api/v1/me", f"/api/v1/sites/{tenant.site_id}/keywords"):
        answer = client.get(path, headers=tenant.headers)
        assert answer.status_code == 503, (path, answer.status_code)
        assert answer.json["error"]["code"] == "database_unavailable"
        assert int(answer.headers["Retry-After"]) >= 1
    written = client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords",
        json={"keywords": [{"keyword": "while away"}]},
        headers=tenant.headers,
    )
    assert written.status_code == 503

    postgres_server.start()
    codes = [client.get("/api/v1/sites", headers=tenant.headers).status_code for _ in range(20)]
    assert codes == [200] * 20
    added = client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords",
        json={"keywords": [{"keyword": "once back"}]},
        headers=tenant.headers,
    )
    assert added.status_code == 201, added.json
    with app.app_context():
        kept = db.session.scalars(select(Keyword.keyword).where(Keyword.site_id == tenant.site_id))
        assert list(kept) == ["once back"]  # the write refused while away left nothing

    # A restart no request saw: the pool's connections are dead but nothing has said so.
    postgres_server.crash()
    postgres_server.start()
    codes = [client.get("/api/v1/sites", headers=tenant.headers).status_code for _ in range(10)]
    assert codes == [200] * 10
    with app.app_context():
        db.engine.dispose()
