"""`flask igny8 prices sync [--dry-run] [--force]`: catalog prices from genai-prices."""

from types import SimpleNamespace

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from ..billing.price_sync import UnknownModel, differences, find_genai_model, genai_price
from ..billing.pricing import PriceCard
from ..extensions import db
from ..models import AIModelConfig, ModelPrice
from ..models.catalog import PRICE_EFFECTIVE_KEY, PRICE_SOURCE_KEY
from ..timeutil import utcnow

prices = AppGroup("prices", help="Model prices.")


def _newest_source(model_id: int) -> str | None:
    return db.session.execute(
        select(ModelPrice.source)
        .where(ModelPrice.model_id == model_id)
        .order_by(ModelPrice.effective_from.desc(), ModelPrice.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@prices.command("sync")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
@click.option("--force", is_flag=True, help="Also replace prices an admin set by hand.")
@click.option(
    "--effective-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date the new prices from this day (a correction of past prices; then "
    "`backfill-costs --reprice --since DAY` prices that usage again). Default: now.",
)
@with_appcontext
def sync_command(dry_run, force, effective_from):
    """Update catalog prices from the installed genai-prices database, as new price rows
    effective now. Prices an admin edited are left alone unless --force."""
    try:
        import genai_prices
    except ImportError:
        raise click.ClickException(
            "genai-prices is not installed: pip install genai-prices (it is in the [dev] extra)"
        ) from None
    click.echo(f"genai-prices {genai_prices.__version__}")
    now = utcnow()
    changed = kept = unknown = 0
    db.session.info[PRICE_SOURCE_KEY] = "sync"
    if effective_from is not None:
        db.session.info[PRICE_EFFECTIVE_KEY] = effective_from
    try:
        models = db.session.execute(
            select(AIModelConfig).order_by(AIModelConfig.provider, AIModelConfig.sort_order)
        ).scalars()
        for model in models:
            try:
                info = find_genai_model(model.provider, model.model_name)
            except UnknownModel:
                unknown += 1
                continue
            proposed = genai_price(info, now, keep=model.pricing)
            current = PriceCard.of(model)
            as_row = SimpleNamespace(
                **proposed.columns, pricing=proposed.pricing, cost_per_image=model.cost_per_image
            )
            found = differences(current, PriceCard.of(as_row))
            if not found:
                continue
            name = f"{model.provider}/{model.model_name}"
            if _newest_source(model.id) == "admin" and not force:
                kept += 1
                click.echo(f"{name}: kept (an admin set these prices; --force replaces them)")
                for line in found:
                    click.echo(f"  would be {line}")
                continue
            changed += 1
            click.echo(f"{name}:")
            for line in found:
                click.echo(f"  {line}")
            if not dry_run:
                for column, value in proposed.columns.items():
                    setattr(model, column, value)
                model.pricing = proposed.pricing
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    finally:
        db.session.info.pop(PRICE_SOURCE_KEY, None)
        db.session.info.pop(PRICE_EFFECTIVE_KEY, None)
    verb = "would change" if dry_run else "changed"
    summary = f"{verb} {changed} model(s)" if changed else "no differences"
    click.echo(f"{summary}; {kept} kept as an admin set them; {unknown} unknown to genai-prices")
