"""One test per hook, named test_hook_<name> (test_docs.py checks that each exists)."""

import types

import pytest
from flask import Blueprint, jsonify

from igny8 import hookimpl, registry
from igny8.ai.provider import Provider
from igny8.ai.usage import Usage
from igny8.registry import HealthCheck, HealthResult, Module, Operation


def plugin(name, **hooks):
    """A throw-away plugin module with the given hook implementations."""
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return module


class FakeProvider(Provider):
    model_types = ("text",)

    def __init__(self, name):
        self.name = name


def test_hook_register_providers(app, plugins):
    plugins.register(
        plugin("p1", igny8_register_providers=lambda register: register(FakeProvider("acme"))), "p1"
    )
    found = registry.providers(plugins.pm)
    assert found["acme"].name == "acme"

    plugins.register(
        plugin("p2", igny8_register_providers=lambda register: register(FakeProvider("acme"))), "p2"
    )
    with pytest.raises(registry.RegistrationError, match="'acme' is registered twice"):
        registry.providers(plugins.pm)
    plugins.unregister("p2")

    plugins.register(
        plugin("p3", igny8_register_providers=lambda register: register(object())), "p3"
    )
    with pytest.raises(registry.RegistrationError, match="is not a Provider"):
        registry.providers(plugins.pm)


def test_hook_report_usage(app, plugins):
    """A provider's responses are read by the plugin that registered it, and by no other."""
    asked = []

    def mine(provider, model, response):
        asked.append(("mine", provider))
        return Usage(input_tokens=response["in"])

    def greedy(provider, model, response):  # answers for everyone: it is never asked
        asked.append(("greedy", provider))
        return Usage(input_tokens=999)

    plugins.register(
        plugin(
            "mine",
            igny8_register_providers=lambda register: register(FakeProvider("mine")),
            igny8_report_usage=mine,
        ),
        "mine",
    )
    plugins.register(plugin("greedy", igny8_report_usage=greedy), "greedy")
    report = registry.usage_reporter(plugins.pm, "mine")
    assert report(provider="mine", model="m", response={"in": 7}) == Usage(input_tokens=7)
    assert asked == [("mine", "mine")]
    assert registry.usage_reporter(plugins.pm, "nobody") is None


def test_hook_register_modules(app, plugins, client, tenant):
    keys = set(registry.modules(plugins.pm))
    assert keys == {"clustering", "ideas", "writer", "images", "optimizer", "linker", "publisher"}

    extra = Module("seo_audit", "SEO Audit", "Checks pages")
    plugins.register(
        plugin("audit", igny8_register_modules=lambda register: register(extra)), "audit"
    )
    listed = client.get("/api/v1/modules?per_page=100", headers=tenant.headers).json["items"]
    assert {
        "key": "seo_audit",
        "title": "SEO Audit",
        "description": "Checks pages",
        "enabled": True,
    } in listed

    plugins.register(plugin("bad", igny8_register_modules=lambda register: register("nope")), "bad")
    with pytest.raises(registry.RegistrationError, match="not a Module"):
        registry.modules(plugins.pm)


def test_hook_register_operations(app, plugins):
    op = Operation("summarise", module="writer", model_type="text", title="Summarise")
    plugins.register(plugin("ops", igny8_register_operations=lambda register: register(op)), "ops")
    found = registry.operations(plugins.pm)
    assert found["summarise"] is op
    assert found["summarise"].prompt_key == "summarise"
    with pytest.raises(registry.RegistrationError, match="model_type"):
        Operation("x_op", module="writer", model_type="video", title="X")


def test_hook_default_prompts(app, plugins):
    plugins.register(
        plugin("pr", igny8_default_prompts=lambda: {"summarise": "Sum up {{ text }}"}), "pr"
    )
    assert registry.default_prompts(plugins.pm)["summarise"] == "Sum up {{ text }}"
    plugins.register(plugin("pr2", igny8_default_prompts=lambda: {"summarise": "again"}), "pr2")
    with pytest.raises(registry.RegistrationError, match="provided twice"):
        registry.default_prompts(plugins.pm)


def test_hook_register_blueprints(make_app, tenant_factory_for):
    def register_blueprints(app):
        bp = Blueprint("echo_plugin", __name__, url_prefix="/api/v1/echo")

        @bp.get("/")
        def echo():
            return jsonify({"ok": True})

        app.register_blueprint(bp)

    app = make_app(EXTRA_PLUGINS=[plugin("echo", igny8_register_blueprints=register_blueprints)])
    tenant = tenant_factory_for(app)
    assert app.test_client().get("/api/v1/echo/", headers=tenant.headers).json == {"ok": True}
    # A plugin's route under /api/v1 is behind the same token check as the core's.
    response = app.test_client().get("/api/v1/echo/")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_hook_register_admin_views(make_app):
    from flask_admin import BaseView, expose

    class Hello(BaseView):
        @expose("/")
        def index(self):
            return "hello"

    seen = {}

    def register_admin_views(admin, db):
        seen["db"] = db
        admin.add_view(Hello(name="Hello", endpoint="hello_plugin", category="Monitoring"))

    app = make_app(EXTRA_PLUGINS=[plugin("hello", igny8_register_admin_views=register_admin_views)])
    from igny8.extensions import db

    assert seen["db"] is db
    assert "hello_plugin.index" in app.view_functions
    # Plugin views sit behind the same admin security as the core's.
    assert app.test_client().get("/admin/hello_plugin/").status_code in (302, 403)


def test_hook_register_health_checks(app, plugins, client):
    plugins.register(
        plugin(
            "hc",
            igny8_register_health_checks=lambda register: register(
                HealthCheck("queue", lambda: HealthResult(False, "3 jobs stuck"))
            ),
        ),
        "hc",
    )
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "error"
    checks = {c["name"]: c for c in body["checks"]}
    assert checks["queue"] == {
        "name": "queue",
        "ok": False,
        "level": "red",
        "detail": "3 jobs stuck",
    }
    assert checks["database"]["ok"] and checks["migrations"]["ok"]


def test_hook_usage_recorded(app, plugins, tenant):
    """Fired once per metered call, after its usage row is committed, with that row."""
    from metering_support import model_named

    from igny8.ai.engine import run_operation
    from igny8.extensions import db
    from igny8.models import CreditUsageLog, GlobalIntegrationSettings

    received = []

    def recorded(usage_log):
        # Committed already: a fresh connection sees the row.
        with db.engine.connect() as conn:
            stored = conn.execute(
                db.select(CreditUsageLog.credits_used).where(CreditUsageLog.id == usage_log.id)
            ).scalar_one()
        received.append((usage_log.request_id, usage_log.operation, usage_log.credits_used, stored))

    def operations(register):
        register(
            Operation(
                "echo",
                module="writer",
                model_type="text",
                title="Echo",
                handler=lambda ctx, item: {
                    "t": ctx.text([{"role": "user", "content": item}]).output
                },
            )
        )

    plugins.register(
        plugin("rec", igny8_usage_recorded=recorded, igny8_register_operations=operations), "rec"
    )
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = model_named("offline-text")
        db.session.commit()
        run_operation(tenant.account_id, "echo", ["one", "two"])
        ids = (
            db.session.execute(db.select(CreditUsageLog.request_id).order_by(CreditUsageLog.id))
            .scalars()
            .all()
        )
    assert sorted(r[0] for r in received) == sorted(ids)  # once per call (they run in parallel)
    assert all(op == "echo" and used == stored == 1 for _, op, used, stored in received)


def test_hook_register_commands(make_app):
    import click

    class Commands:
        @hookimpl
        def igny8_register_commands(self, cli):
            @cli.command("hello")
            @click.argument("name")
            def hello(name):
                """Say hello."""
                click.echo(f"hello, {name}")

    app = make_app(EXTRA_PLUGINS=[Commands()])
    result = app.test_cli_runner().invoke(args=["igny8", "hello", "world"])
    assert (result.exit_code, result.output) == (0, "hello, world\n")
    other = make_app()  # a command belongs to the app whose plugins added it
    assert other.test_cli_runner().invoke(args=["igny8", "hello", "x"]).exit_code != 0


REVISION = '''"""a plugin's table

Revision ID: 0001hooktest
"""
import sqlalchemy as sa
from alembic import op

revision = "0001hooktest"
down_revision = None
branch_labels = ("hook_test",)
depends_on = None


def upgrade():
    op.create_table("hook_test_rows", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("hook_test_rows")
'''


def test_hook_migrations_dir(make_app, fresh_database_url, tmp_path):
    from sqlalchemy import inspect

    from igny8.extensions import db

    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_hook_test.py").write_text(REVISION)

    class Migrations:
        @hookimpl
        def igny8_migrations_dir(self):
            return str(versions)

    app = make_app(seeded=False, DATABASE_URL=fresh_database_url, EXTRA_PLUGINS=[Migrations()])
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])  # every branch by default
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"hook_test_rows", "accounts", "credit_usage_logs"} <= tables


def test_hook_startup(make_app):
    seen = []

    class Startup:
        @hookimpl
        def igny8_startup(self, app):
            seen.append((app, "igny8" in app.cli.commands, "admin.index" in app.view_functions))

    app = make_app(EXTRA_PLUGINS=[Startup()])
    assert seen == [(app, True, True)]  # once, with the app fully built
