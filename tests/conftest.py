"""Fixtures after Flask's tutorial (app, client, runner), run on SQLite and on PostgreSQL.

Every test that uses ``app`` runs twice: ``[sqlite]`` on a migrated file and
``[postgresql]`` in a schema of its own (from IGNY8_TEST_DATABASE_URL), each created once
per test session, with one app built on it; before each test the database is put back
to its seeded state and the app's config and plugins to what they were when built.
Without that variable the PostgreSQL runs are skipped with the reason.
"""

import gc
import importlib
import os
import pathlib
import shutil
import tomllib
import uuid

import pytest
from metering_support import EchoRoute, ScriptedProvider, add_model, scripted_plugin
from sqlalchemy import create_engine, inspect, make_url, text

from igny8 import create_app, schema, seed
from igny8.celery_engine import CeleryRunner, make_celery
from igny8.crypto import generate_key
from igny8.extensions import db
from igny8.models import GlobalIntegrationSettings
from igny8.testing import TestTenant
from igny8.testing import make_tenant as testing_make_tenant

PG_URL = os.environ.get("IGNY8_TEST_DATABASE_URL")
# Tests' files (SQLite databases above all) in memory where the machine has a tmpfs: a
# test database needs no durability, and a disk syncs on every commit (migrating a SQLite
# file took 2.4 s on this machine's disk, 0.34 s on /dev/shm). PostgreSQL's counterpart
# is ``synchronous_commit=off`` below.
if os.access("/dev/shm", os.W_OK):
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", "/dev/shm")
FAST_COMMITS = "-csynchronous_commit=off"
# The Celery engine's tests use this Redis, each test session on queues of its own.
REDIS_URL = os.environ.get("IGNY8_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ENCRYPTION_KEY = generate_key()


def pytest_report_header(config):
    return f"igny8 PostgreSQL runs: {'on ' + make_url(PG_URL).render_as_string() if PG_URL else 'skipped (IGNY8_TEST_DATABASE_URL not set)'}"


def pytest_collection_finish(session):
    freeze_heap()


def freeze_heap():
    """Move every object alive now (the imported libraries, the session's apps) out of the
    collector's reach, and collect less often: with some 400,000 objects each full
    collection took ~40 ms, and the short-lived apps many tests build set one off every
    few tests (12 s of a test process's 85). Reference counting still frees the rest."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """The developer's IGNY8_* variables must not leak into tests."""
    for key in list(os.environ):
        if key.startswith("IGNY8_") and key != "IGNY8_TEST_DATABASE_URL":
            monkeypatch.delenv(key)


def app_config(database_url, instance_path, **extra):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret",
        "ENCRYPTION_KEY": ENCRYPTION_KEY,
        # The local provider, WordPress and webhook servers of the tests listen here.
        "OUTBOUND_ALLOW_HOSTS": "127.0.0.1",
        "SESSION_COOKIE_SECURE": False,  # the test client and browser speak plain http
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # a sign-in costs microseconds, not 0.1 s
        # AI endpoints answer when their run has finished, as with `Prefer: wait=60`;
        # tests/test_background_runs.py covers 202, polling, events and cancelling.
        "RUN_DEFAULT_WAIT": 60.0,
        "PROVIDER_RETRY_BASE_DELAY": 0.001,  # retries without real back-off sleeps
    }
    config.update(extra)
    return config


def migrate(database_url, instance_path):
    app = create_app(app_config(database_url, instance_path))
    with app.app_context():
        schema.upgrade_all(app.config["MIGRATIONS_DIR"])
        db.engine.dispose()


class TestDatabase:
    """A migrated database shared by a whole test session, put back to its seeded state
    (a snapshot of every table's rows, taken once) before each test: deleting and
    re-inserting a few dozen rows is far cheaper than migrating or copying a database.
    On PostgreSQL the whole reset is one round trip: the rows are kept as the server's own
    JSON and put back with json_populate_recordset, no value passing through Python."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url, pool_pre_ping=True)  # tests/faults kill connections
        self.snapshot: dict = {}
        self.tables: list = []
        self._reset_script = ""

    def take_snapshot(self) -> None:
        with self.engine.connect() as conn:
            # The tables as migrated: a plugin a test loaded may have declared more.
            present = set(inspect(conn).get_table_names())
            self.tables = [t for t in db.metadata.sorted_tables if t.name in present]
            self.snapshot = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in self.tables
            }
            if conn.dialect.name == "postgresql":
                self._reset_script = self._postgresql_reset_script(conn)

    def _postgresql_reset_script(self, conn) -> str:
        statements = [f'DELETE FROM "{t.name}"' for t in reversed(self.tables)]
        for table in self.tables:
            if self.snapshot[table.name]:
                rows = conn.exec_driver_sql(f'SELECT json_agg(t)::text FROM "{table.name}" t')
                literal = rows.scalar().replace("'", "''")
                statements.append(
                    f'INSERT INTO "{table.name}" '
                    f"SELECT * FROM json_populate_recordset(NULL::\"{table.name}\", '{literal}')"
                )
        statements.append(self._sequences_past_snapshot)  # a test may have recreated one
        return ";\n".join(statements)

    def reset(self, seeded: bool = True) -> None:
        with self.engine.begin() as conn:
            if seeded and self._reset_script:
                conn.exec_driver_sql(self._reset_script)  # no parameters: one simple query
                return
            for table in reversed(self.tables):
                conn.execute(table.delete())
            if seeded:
                for table in self.tables:
                    if self.snapshot.get(table.name):
                        conn.execute(table.insert(), self.snapshot[table.name])

    @property
    def _sequences_past_snapshot(self) -> str:
        last = {
            name: max(r["id"] for r in rows)
            for name, rows in self.snapshot.items()
            if rows and "id" in rows[0]
        }
        calls = ", ".join(
            f"setval(pg_get_serial_sequence('{name}', 'id'), {n})" for name, n in last.items()
        )
        return f"SELECT {calls}"

    def dispose(self) -> None:
        self.engine.dispose()


class SharedApp:
    """One app per database for the whole session, built and seeded once. Before each
    test its config and plugins are put back as built and its rate-limit counts cleared,
    so a test sees the same app a fresh one would be."""

    def __init__(self, database: TestDatabase, instance_path):
        self.database = database
        self.app = create_app(app_config(database.url, instance_path, EXTRA_PLUGINS=[EchoRoute()]))
        with self.app.app_context():
            seed.seed_catalog()
            db.session.commit()
        database.take_snapshot()
        self.config = dict(self.app.config)
        self.runner = self.app.extensions["igny8_runner"]
        self._celery = None
        manager = self.app.extensions["igny8"]
        self.plugins = {
            name: (plugin, manager.info[name]) for name, plugin in manager.pm.list_name_plugin()
        }

    def restore(self) -> None:
        app = self.app
        app.config.clear()
        app.config.update(self.config)
        manager = app.extensions["igny8"]
        for name, _plugin in manager.pm.list_name_plugin():
            if name not in self.plugins:
                manager.unregister(name)
        for name, (plugin, info) in self.plugins.items():
            if not manager.pm.has_plugin(name):
                manager.pm.register(plugin, name=name)
                manager.info[name] = info
        app.extensions["igny8_limiter"].reset()
        app.extensions["igny8_limits"].reset()
        app.extensions["igny8_runner"] = self.runner

    def celery(self):
        """This app's Celery engine on the test Redis: a CeleryRunner whose queue the
        session's one worker thread serves (Celery runs one worker per process)."""
        if self._celery is None:
            queue = f"igny8-test-{uuid.uuid4().hex[:10]}"
            self.app.config.update(CELERY_BROKER_URL=REDIS_URL, CELERY_QUEUE=queue)
            self._celery = CeleryRunner(self.app, CELERY_WORKER.serve(self.app))
            self.app.config.update(self.config)
        return self._celery

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        self.database.dispose()


class CeleryWorker:
    """The test process's one Celery worker (a thread), serving the queue of each app
    that asks; stopped at the end of the session."""

    def __init__(self):
        self.celery, self.worker, self.controller = None, None, None

    def serve(self, app):
        from celery.contrib.testing.worker import start_worker

        self.celery = make_celery(app, self.celery)
        if self.worker is None:
            self.worker = start_worker(
                self.celery, pool="solo", perform_ping_check=False, loglevel="WARNING"
            )
            self.controller = self.worker.__enter__()
        else:
            self.controller.consumer.add_task_queue(app.config["CELERY_QUEUE"])
        return self.celery

    def stop(self):
        if self.worker is not None:
            self.worker.__exit__(None, None, None)


CELERY_WORKER = CeleryWorker()


@pytest.fixture(scope="session", autouse=True)
def celery_worker_stopped():
    yield
    CELERY_WORKER.stop()


@pytest.fixture(scope="session")
def sqlite_shared(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sqlite")
    url = f"sqlite:///{folder / 'igny8.db'}"
    migrate(url, folder)
    shared = SharedApp(TestDatabase(url), folder)
    freeze_heap()
    yield shared
    shared.close()


@pytest.fixture(scope="session")
def postgresql_shared(tmp_path_factory):
    if not PG_URL:
        pytest.skip("IGNY8_TEST_DATABASE_URL is not set: PostgreSQL runs skipped")
    name = f"igny8_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    # Named after the schema, so a test can tell this session's connections from another's.
    url = make_url(PG_URL).update_query_dict(
        {"options": f"-csearch_path={name} {FAST_COMMITS}", "application_name": name}
    )
    url = url.render_as_string(hide_password=False)
    folder = tmp_path_factory.mktemp("pg-instance")
    try:
        migrate(url, folder)
        shared = SharedApp(TestDatabase(url), folder)
        freeze_heap()
        yield shared
        shared.close()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request):
    """This test's database (reset to its seeded state) and the session's app on it."""
    shared = request.getfixturevalue(f"{request.param}_shared")
    shared.database.reset()
    shared.restore()
    yield shared
    # A run the test left going would write into the next test's database.
    assert shared.app.extensions["igny8_runner"].idle(30), "a background run did not end"
    with shared.app.app_context():
        db.session.remove()


@pytest.fixture
def database_url(shared):
    return shared.database.url


@pytest.fixture
def instance_path(tmp_path):
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def make_app(request, shared, instance_path):
    """Build a new app on this test's database (extra config as keyword arguments); for
    tests that change what only a new app reads. A test's first app made with
    ``seeded=False`` (and no ``app``) starts from an empty database, as after migrating."""
    built = []

    def make(seeded=True, **extra):
        if not seeded and not built and "app" not in request.fixturenames:
            shared.database.reset(seeded=False)
        app = create_app(app_config(shared.database.url, instance_path, **extra))
        if seeded:
            with app.app_context():
                seed.seed_catalog()
                db.session.commit()
        built.append(app)
        return app

    yield make
    for app in built:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(shared):
    return shared.app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


@pytest.fixture
def install_example(tmp_path, monkeypatch):
    """``install_example("igny8_echo")``: an examples/ plugin as `pip install` leaves it (the
    package and a dist-info with its entry point on sys.path), found by every app built
    after. The module stays imported once loaded (its classes are declared once); its
    tables are taken out of the metadata after the test."""
    site = tmp_path / "site-packages"

    def install(package: str) -> None:
        folder = EXAMPLES / package
        shutil.copytree(folder / package, site / package)
        project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        info = site / f"{package}-{project['version']}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        )
        points = project["entry-points"]["igny8"]
        (info / "entry_points.txt").write_text(
            "[igny8]\n" + "".join(f"{k} = {v}\n" for k, v in points.items())
        )
        importlib.invalidate_caches()  # the folder changed since the import system listed it

    monkeypatch.syspath_prepend(str(site))
    declared = set(db.metadata.tables)
    yield install
    # Its tables leave the metadata with it: other tests compare the metadata to migrations.
    for name in set(db.metadata.tables) - declared:
        db.metadata.remove(db.metadata.tables[name])


@pytest.fixture
def fresh_database_url(shared, tmp_path):
    """An empty database of this test's kind, for a test whose plugins add tables of their
    own (the shared database keeps the core's schema only)."""
    if shared.database.url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"igny8_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={name} {FAST_COMMITS}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


# The plugin authors' helper is the suite's too: one way to make a tenant.
Tenant = TestTenant
create_tenant = testing_make_tenant


@pytest.fixture
def make_tenant(app):
    return lambda **kwargs: create_tenant(app, **kwargs)


@pytest.fixture
def tenant_factory_for():
    return create_tenant


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


@pytest.fixture
def plugins(app):
    """The app's plugins; throw-away plugins registered in a test are unregistered after it."""
    manager = app.extensions["igny8"]
    before = set(manager.info)
    yield manager
    for name in set(manager.info) - before:
        manager.unregister(name)


@pytest.fixture
def provider(app, plugins):
    """The scripted provider (metering_support), its model the global default text model."""
    scripted = ScriptedProvider()
    plugins.register(scripted_plugin(scripted), "scripted_plugin")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    return scripted


@pytest.fixture
def openai_server():
    from servers.openai_server import OpenAIServer

    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def anthropic_server():
    from servers.anthropic_server import AnthropicServer

    server = AnthropicServer().start()
    yield server
    server.stop()


@pytest.fixture
def gemini_server():
    from servers.gemini_server import GeminiServer

    server = GeminiServer().start()
    yield server
    server.stop()


@pytest.fixture
def runware_server():
    from servers.runware_server import RunwareServer

    server = RunwareServer().start()
    yield server
    server.stop()


@pytest.fixture
def wordpress_server():
    from servers.wordpress_server import WordPressServer

    server = WordPressServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook_server():
    from servers.wordpress_server import WebhookServer

    server = WebhookServer().start()
    yield server
    server.stop()
