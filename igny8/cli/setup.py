"""`flask igny8 init [--demo]`."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import demo, instance_config, prompts, schema, seed
from ..extensions import db


@click.command("init")
@with_appcontext
@click.option(
    "--demo",
    "with_demo",
    is_flag=True,
    help="Also create a demo account, user, token and site on the offline provider.",
)
def init_command(with_demo):
    """Write instance secrets, upgrade the database and seed the catalog (idempotent)."""
    app = current_app._get_current_object()
    written = instance_config.ensure_secrets(app)
    if written:
        click.echo(f"wrote {', '.join(written)} to {instance_config.config_path(app)}")
    schema.upgrade_all(app.config["MIGRATIONS_DIR"])
    created = seed.seed_catalog()
    created["prompts"], _ = prompts.populate()
    credentials, demo_created = demo.ensure_demo(app) if with_demo else (None, False)
    db.session.commit()
    if demo_created:
        demo.save_credentials(app, credentials)

    made = {k: v for k, v in created.items() if v}
    click.echo(
        "seeded: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in made.items())
        if made
        else "catalog: already up to date"
    )
    if with_demo:
        _print_demo(app, credentials, demo_created)


def _print_demo(app, credentials, created):
    click.echo("demo: created" if created else "demo: already set up")
    if not credentials:
        click.echo(
            f"demo credentials not found ({demo.credentials_path(app)}); "
            "make a token with `flask igny8 create-token --email demo@igny8.local`"
        )
        return
    if credentials.get("admin_email"):
        click.echo(
            f"admin login: {credentials['admin_email']} / {credentials['admin_password']}"
            f"  ({demo.public_url(app)}/admin/)"
        )
    click.echo(
        f"demo user:   {credentials['user_email']} / {credentials.get('user_password', '-')}"
    )
    click.echo(f"demo token:  {credentials['api_token']}")


@click.command("populate-prompts")
@click.option(
    "--reset", is_flag=True, help="Also set existing global prompts back to the plugins' defaults."
)
@with_appcontext
def populate_prompts(reset):
    """Write every plugin's default prompt as the global prompt (account overrides untouched)."""
    added, replaced = prompts.populate(reset=reset)
    db.session.commit()
    click.echo(f"prompts: {added} added, {replaced} reset to default")
