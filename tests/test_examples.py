"""The tutorial's content-module plugin (examples/igny8_notes), installed as pip would:
its table comes from its own migration branch, and its operation, routes, admin view,
pipeline stage and CLI command all work without a line of the core changing."""

import pytest
from alembic.script import ScriptDirectory
from conftest import create_tenant
from sqlalchemy import inspect, select
from test_admin import PASSWORD, sign_in

from igny8 import accounts
from igny8.extensions import db
from igny8.models import CreditCostConfig, CreditUsageLog


@pytest.fixture
def notes_app(install_example, make_app, fresh_database_url):
    install_example("igny8_echo")
    install_example("igny8_notes")
    app = make_app(seeded=False, DATABASE_URL=fresh_database_url)
    result = app.test_cli_runner().invoke(args=["igny8", "init"])
    assert result.exit_code == 0, result.output
    return app


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_plugins_migration_branch_creates_its_table(notes_app):
    with notes_app.app_context():
        assert "notes" in inspect(db.engine).get_table_names()
    with notes_app.app_context():
        config = notes_app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        heads = {
            script.get_revision(h).branch_labels and "notes" or "core" for h in script.get_heads()
        }
        assert heads == {"core", "notes"}  # a branch of its own beside the core's head
    cli(notes_app, "db", "downgrade", "igny8_notes@base")
    with notes_app.app_context():
        assert "notes" not in inspect(db.engine).get_table_names()
    cli(notes_app, "db", "upgrade")  # every branch, the plugin's included
    with notes_app.app_context():
        assert "notes" in inspect(db.engine).get_table_names()


def test_a_note_is_summarised_by_a_metered_call(notes_app):
    tenant = create_tenant(notes_app)
    client = notes_app.test_client()
    site = f"/api/v1/sites/{tenant.site_id}"
    assert (
        client.put(
            "/api/v1/settings/integration", json={"text_model": "echo-1"}, headers=tenant.headers
        ).status_code
        == 200
    )
    note = client.post(f"{site}/notes", json={"text": "Ship the beta"}, headers=tenant.headers)
    assert note.status_code == 201, note.json
    run = client.post(
        f"{site}/notes/summaries", json={"note_ids": [note.json["id"]]}, headers=tenant.headers
    )
    assert run.status_code == 200, run.json
    summary = run.json["results"][0]["summary"]
    assert summary == "Summarise this note in one sentence: Ship the beta"  # echo says it back
    listed = client.get(f"{site}/notes", headers=tenant.headers).json["items"]
    assert listed == [{"id": note.json["id"], "text": "Ship the beta", "summary": summary}]
    with notes_app.app_context():
        row = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (row.provider, row.operation, row.status) == ("echo", "note_summary", "success")
        assert row.credits_used == 1  # the operation's declared minimum, seeded by init
        cost = db.session.execute(
            select(CreditCostConfig).where(CreditCostConfig.operation == "note_summary")
        ).scalar_one()
        assert (cost.min_credits, cost.display_name) == (1, "Note summary")
    assert "1 notes, 1 summarised" in cli(
        notes_app, "igny8", "notes-count", "--site", str(tenant.site_id)
    )


def test_the_module_switch_covers_its_routes_admin_view_and_stage(notes_app):
    tenant = create_tenant(notes_app)
    with notes_app.app_context():
        accounts.create_user("root@igny8.test", PASSWORD, is_superuser=True)
        db.session.commit()
    admin = notes_app.test_client()
    assert sign_in(admin).status_code == 302
    assert admin.get("/admin/note/").status_code == 200
    client = notes_app.test_client()
    site = f"/api/v1/sites/{tenant.site_id}"
    client.post(f"{site}/notes", json={"text": "one"}, headers=tenant.headers)
    pipeline = cli(notes_app, "igny8", "pipeline", "--site", str(tenant.site_id))
    assert "notes -> summaries" in pipeline

    cli(notes_app, "igny8", "module", "disable", "notes")
    refused = client.get(f"{site}/notes", headers=tenant.headers)
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "module_disabled")
    assert admin.get("/admin/note/").status_code == 403
    pipeline = cli(notes_app, "igny8", "pipeline", "--site", str(tenant.site_id))
    assert "left out: module 'notes' is switched off" in pipeline
