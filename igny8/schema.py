"""Schema migrations for the core and for plugins: each plugin may ship its own Alembic
revisions (a branch of its own, in a folder igny8_migrations_dir returns), and
`flask db upgrade` (or `flask igny8 init`) applies every branch."""

import copy
import os

from flask import current_app
from flask_migrate import upgrade as _upgrade
from flask_migrate.cli import db as db_commands

from .extensions import db, migrate
from .plugins import current_plugins

# With plugin branches there is more than one head: upgrading means all of them.
EVERY_BRANCH = "heads"


def version_locations(config_dir: str, pm) -> list[str]:
    """The core's versions folder, then each plugin's."""
    extra = [os.path.abspath(d) for d in pm.hook.igny8_migrations_dir() if d]
    return [os.path.join(config_dir, "versions"), *extra]


@migrate.configure
def _with_plugin_branches(config):
    pm = current_plugins(current_app).pm
    locations = version_locations(config.get_main_option("script_location"), pm)
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


def upgrade_all(directory: str) -> None:
    _upgrade(directory=directory, revision=EVERY_BRANCH)


def _db_commands():
    """Flask-Migrate's `flask db` group, its `upgrade` defaulting to every branch."""
    upgrade = copy.copy(db_commands.commands["upgrade"])
    upgrade.params = [copy.copy(p) for p in upgrade.params]
    for param in upgrade.params:
        if param.name == "revision":
            param.default = EVERY_BRANCH
    group = copy.copy(db_commands)
    group.commands = {**db_commands.commands, "upgrade": upgrade}
    return group


def init_app(app) -> None:
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True)
    app.cli.add_command(_db_commands(), "db")  # replaces the group Flask-Migrate added
