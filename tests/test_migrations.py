"""One linear migration history that builds the schema and matches the models."""

import flask_migrate
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from igny8.extensions import db


def test_db_check_finds_no_drift(app):
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    assert result.exception is None


def test_history_is_linear_with_one_head(app):
    script = ScriptDirectory(app.config["MIGRATIONS_DIR"])
    assert len(script.get_heads()) == 1
    assert all(len(rev.nextrev) <= 1 for rev in script.walk_revisions())


def test_downgrade_to_base_and_upgrade_again(make_app):
    app = make_app(seeded=False)
    directory = app.config["MIGRATIONS_DIR"]
    with app.app_context():
        tables = set(db.metadata.tables)
        flask_migrate.downgrade(directory=directory, revision="base")
        assert not tables & set(inspect(db.engine).get_table_names())
        flask_migrate.upgrade(directory=directory)
        assert tables <= set(inspect(db.engine).get_table_names())
