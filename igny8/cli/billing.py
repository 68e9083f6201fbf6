"""`audit-ledger`, `release-stale-holds`, `backfill-costs`."""

from datetime import timedelta

import click
from flask.cli import with_appcontext

from ..billing import audit
from ..extensions import db


@click.command("audit-ledger")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Holds younger than this are calls in flight, not findings.",
)
@with_appcontext
def audit_ledger(grace_minutes):
    """Check every account's balance against its ledger; exit 1 on any mismatch."""
    findings = audit.audit(timedelta(minutes=grace_minutes))
    for f in findings:
        click.echo(f"{f.kind}: account {f.account_id}: {f.detail}")
    if findings:
        click.echo(f"{len(findings)} problem(s) found", err=True)
        raise SystemExit(1)
    click.echo(
        "ledger OK: every balance equals its ledger, no call charged twice, no hold left open"
    )


@click.command("release-stale-holds")
@click.option(
    "--older-than",
    "minutes",
    type=click.IntRange(min=1),
    required=True,
    metavar="MINUTES",
    help="Release holds older than this many minutes.",
)
@with_appcontext
def release_stale_holds(minutes):
    """Give back credits held by calls that never settled (a killed process)."""
    released, runs = audit.release_stale_holds(timedelta(minutes=minutes))
    click.echo(f"released {released} stale hold(s); marked {runs} abandoned run(s) failed")


@click.command("backfill-costs")
@click.option("--dry-run", is_flag=True, help="Report what would be priced; change nothing.")
@with_appcontext
def backfill_costs(dry_run):
    """Price usage rows that lack costs, at the price effective at their time."""
    priced = skipped = 0
    rows = db.session.execute(audit.unpriced_usage()).scalars().all()
    with click.progressbar(rows, label=f"pricing {len(rows)} usage row(s)", show_pos=True) as bar:
        for row in bar:
            if audit.backfill_row(row):
                priced += 1
            else:
                skipped += 1
            if not dry_run and priced % 500 == 0:
                db.session.commit()
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: would price {priced} row(s); {skipped} have no price in force")
    else:
        db.session.commit()
        click.echo(
            f"priced {priced} row(s); {skipped} left unpriced (no price in force at their time)"
        )
