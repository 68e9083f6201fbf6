"""`flask igny8 plugins [--all] [--hook NAME]`."""

import json

import click
from flask.cli import with_appcontext

from ..plugins import current_plugins


@click.command("plugins")
@with_appcontext
@click.option(
    "--all",
    "include_all",
    is_flag=True,
    help="Include the built-in plugins and the core's default plugins.",
)
@click.option("--hook", default=None, help="Only plugins implementing this hook.")
def plugins_command(include_all, hook):
    """List loaded plugins as JSON: name, version, hooks."""
    plugins = current_plugins()
    if hook is not None:
        hook = hook if hook.startswith("igny8_") else f"igny8_{hook}"
        if hook not in plugins.hook_names():
            raise click.BadParameter(
                f"no hook {hook!r}; hooks: {', '.join(plugins.hook_names())}", param_hint="--hook"
            )
    click.echo(json.dumps(plugins.listing(include_all=include_all, hook=hook), indent=2))
