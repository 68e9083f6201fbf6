"""`audit-ledger`, `release-stale-holds`, `backfill-costs`, `rebuild-rollup`."""

from datetime import timedelta
from decimal import Decimal

import click
from flask.cli import with_appcontext

from ..billing import audit, rollup
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
@click.option(
    "--reprice",
    is_flag=True,
    help="Also price again the rows since --since whose price was corrected later "
    "(new cost figures, the old ones kept as revisions; credits are never changed).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="With --reprice: the first day to look at.",
)
@with_appcontext
def backfill_costs(dry_run, reprice, since):
    """Price usage rows that lack costs, at the price effective at their time."""
    if reprice != (since is not None):
        raise click.UsageError("--reprice and --since DATE go together")
    if reprice:
        return _reprice(since, dry_run)
    priced = skipped = 0
    rows = db.session.execute(audit.unpriced_usage()).scalars().all()
    changed = []
    with click.progressbar(rows, label=f"pricing {len(rows)} usage row(s)", show_pos=True) as bar:
        for row in bar:
            if audit.backfill_row(row):
                priced += 1
                changed.append(row)
            else:
                skipped += 1
            if not dry_run and priced % 500 == 0:
                db.session.commit()
    if not dry_run:
        audit.roll_up_again(changed)
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: would price {priced} row(s); {skipped} have no price in force")
    else:
        db.session.commit()
        click.echo(
            f"priced {priced} row(s); {skipped} left unpriced (no price in force at their time)"
        )


def _reprice(since, dry_run):
    history = audit.PriceHistory()
    rows = db.session.execute(audit.repriced_usage(since)).scalars().all()
    revised, old, new, changed = 0, Decimal(0), Decimal(0), []
    label = f"re-pricing {len(rows)} usage row(s) since {since.date()}"
    with click.progressbar(rows, label=label, show_pos=True) as bar:
        for row in bar:
            revision = audit.reprice_row(row, history)
            if revision is not None:
                revised += 1
                changed.append(row)
                old += revision.old_cost_usd_total or 0
                new += revision.new_cost_usd_total
    if not dry_run:
        audit.roll_up_again(changed)
    change = f"cost {old:f} -> {new:f} USD"
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: would re-price {revised} row(s), {change}; credits unchanged")
    else:
        db.session.commit()
        click.echo(
            f"re-priced {revised} row(s), {change}; old figures kept in usage_cost_revisions; "
            "credits unchanged"
        )


@click.command("rebuild-rollup")
@with_appcontext
def rebuild_rollup():
    """Rebuild the daily usage rollup the reports read, from the usage log."""
    rows = rollup.rebuild(db.session)
    db.session.commit()
    click.echo(f"rebuilt the daily usage rollup: {rows} row(s)")
