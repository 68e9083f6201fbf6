"""`flask igny8 ...`: administration commands. Every command is safe to run twice."""

from flask.cli import AppGroup

from . import accounts, billing, modules, pipeline, plugins, prices, setup, worker

COMMANDS = (
    setup.init_command,
    setup.populate_prompts,
    accounts.create_admin,
    accounts.create_account,
    accounts.create_token,
    accounts.grant_credits,
    modules.module_command,
    plugins.plugins_command,
    billing.audit_ledger,
    billing.release_stale_holds,
    billing.backfill_costs,
    billing.rebuild_rollup,
    pipeline.pipeline_command,
    prices.prices,
    worker.worker_command,
    worker.beat_command,
)


def init_app(app, pm) -> None:
    group = AppGroup("igny8", help="igny8 administration commands.")
    for command in COMMANDS:
        group.add_command(command)
    pm.hook.igny8_register_commands(cli=group)  # a new group per app: nothing leaks between apps
    app.cli.add_command(group)
