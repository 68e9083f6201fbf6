"""Notes: a site's short notes, each summarised in one sentence by AI (the tutorial's
content module: an operation, routes, an admin view, a table with its migration and a
CLI command, all from this package)."""

import os

import click
from sqlalchemy import func, select

from igny8.plugin import AdminView, DefaultPrompt, Module, Operation, Stage, db, hookimpl

from .models import Note
from .operation import PROMPT, summarise, unsummarised
from .routes import routes

MODULE = Module(
    key="notes",
    title="Notes",
    description="A site's short notes, each summarised in one sentence by AI.",
    operations=(
        Operation(
            "note_summary",
            title="Note summary",
            handler=summarise,
            stage=Stage(80, "notes -> summaries", unsummarised),
            prompt=DefaultPrompt(PROMPT, ("text",)),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(Note, category="Notes"),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_migrations_dir():
    return os.path.join(os.path.dirname(__file__), "migrations", "versions")


@hookimpl
def igny8_register_commands(cli):
    @cli.command("notes-count")
    @click.option("--site", "site_id", type=int, required=True)
    def notes_count(site_id):
        """How many notes a site has, and how many are summarised."""
        total, done = db.session.execute(
            select(func.count(Note.id), func.count(Note.summary)).where(Note.site_id == site_id)
        ).one()
        click.echo(f"site {site_id}: {total} notes, {done} summarised")
