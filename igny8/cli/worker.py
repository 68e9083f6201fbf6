"""`worker` and `beat`: the Celery processes that run queued runs (docs/deploy.md)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..runner import current_runner


def _celery():
    celery = getattr(current_runner(), "celery", None)
    if celery is None:
        raise click.ClickException(
            "no broker is configured: set IGNY8_CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"
            " to run background runs on Celery workers; without it the app runs them itself"
        )
    return celery


@click.command("worker")
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    help="Runs executed at once (default: RUN_WORKERS); their items run in parallel on "
    "ITEM_WORKERS threads per process.",
)
@click.option(
    "--pool",
    type=click.Choice(["threads", "prefork", "solo"]),
    default="threads",
    show_default=True,
    help="threads: one process whose runs and items wait on providers side by side "
    "(docs/deploy.md); prefork: a process per run slot.",
)
@click.option("--beat", is_flag=True, help="Also run the schedule (one worker only).")
@with_appcontext
def worker_command(concurrency, pool, beat):
    """Run queued runs from the broker until stopped."""
    from ..celery_engine import run_worker

    celery = _celery()
    config = current_app.config
    concurrency = concurrency or int(config["RUN_WORKERS"])
    click.echo(
        f"igny8 worker on queue {config['CELERY_QUEUE']!r}: {concurrency} runs at once "
        f"({pool}), {config['ITEM_WORKERS']} item threads per process"
    )
    run_worker(celery, concurrency, pool, beat)


@click.command("beat")
@with_appcontext
def beat_command():
    """Send the periodic sweeps (stale runs, stale holds) to the workers; run one."""
    from ..celery_engine import run_beat

    run_beat(_celery())
