"""Fixtures after Flask's tutorial (app, client, runner), run on SQLite and on PostgreSQL.

Every test that uses ``app`` runs twice: ``[sqlite]`` on a copy of a migrated template
file, ``[postgresql]`` in a schema of its own created for this test session (from
IGNY8_TEST_DATABASE_URL) and truncated after each test. Without that variable the
PostgreSQL runs are skipped with the reason.
"""

import os
import shutil
import uuid
from dataclasses import dataclass

import flask_migrate
import pytest
from sqlalchemy import create_engine, make_url, text

from igny8 import accounts, create_app, seed
from igny8.crypto import generate_key
from igny8.extensions import db
from igny8.models import Site

PG_URL = os.environ.get("IGNY8_TEST_DATABASE_URL")
ENCRYPTION_KEY = generate_key()


def pytest_report_header(config):
    return f"igny8 PostgreSQL runs: {'on ' + make_url(PG_URL).render_as_string() if PG_URL else 'skipped (IGNY8_TEST_DATABASE_URL not set)'}"


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
    }
    config.update(extra)
    return config


def migrate(database_url, instance_path):
    app = create_app(app_config(database_url, instance_path))
    with app.app_context():
        flask_migrate.upgrade(directory=app.config["MIGRATIONS_DIR"])
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    migrate(f"sqlite:///{path}", folder)
    return path


@dataclass
class PostgresSchema:
    url: str
    engine: object

    def truncate(self):
        # DELETE is much faster than TRUNCATE on tables this small.
        with self.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def postgres_schema(tmp_path_factory):
    if not PG_URL:
        pytest.skip("IGNY8_TEST_DATABASE_URL is not set: PostgreSQL runs skipped")
    schema = f"igny8_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    migrate(url, tmp_path_factory.mktemp("pg-instance"))
    engine = create_engine(url)
    try:
        yield PostgresSchema(url, engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "igny8.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        schema = request.getfixturevalue("postgres_schema")
        yield schema.url
        schema.truncate()


@pytest.fixture
def instance_path(tmp_path):
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def make_app(database_url, instance_path):
    """Build an app on this test's database (extra config as keyword arguments)."""
    built = []

    def make(seeded=True, **extra):
        app = create_app(app_config(database_url, instance_path, **extra))
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
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class Tenant:
    account_id: int
    user_id: int
    site_id: int
    token: str

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}


def create_tenant(app, plan="starter", credits=1000, name=None) -> Tenant:
    """An account with a user, an API token and a site."""
    n = uuid.uuid4().hex[:8]
    with app.app_context():
        account = accounts.create_account(name or f"Tenant {n}", accounts.find_plan(plan), credits)
        user = accounts.create_user(
            f"user-{n}@example.test", None, account
        )  # no slow password hash
        token = accounts.issue_token(user)
        site = Site(account=account, name=f"Site {n}", url=f"https://{n}.example.test")
        db.session.add(site)
        db.session.commit()
        return Tenant(account.id, user.id, site.id, token)


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
