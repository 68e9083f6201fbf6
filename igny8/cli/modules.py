"""`flask igny8 module enable|disable KEY`."""

import click
from flask.cli import with_appcontext

from .. import modules
from ..extensions import db


@click.command("module")
@with_appcontext
@click.argument("action", type=click.Choice(["enable", "disable"]))
@click.argument("key")
def module_command(action, key):
    """Switch a content module on or off (its endpoints and operations follow)."""
    try:
        changed = modules.set_enabled(key, action == "enable")
    except modules.UnknownModule as exc:
        raise click.BadParameter(str(exc), param_hint="KEY") from None
    db.session.commit()
    state = "enabled" if action == "enable" else "disabled"
    click.echo(f"module {key} {state}" if changed else f"module {key} already {state}")
