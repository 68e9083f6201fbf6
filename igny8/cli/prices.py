"""`flask igny8 prices sync [--dry-run] [--force] [--add-new]`: catalog prices from
genai-prices, and the models it knows that the catalog lacks (added inactive)."""

from types import SimpleNamespace

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .. import registry
from ..billing.price_sync import (
    UnknownModel,
    differences,
    find_genai_model,
    genai_price,
    new_models,
)
from ..billing.pricing import PriceCard
from ..extensions import db
from ..models import AIModelConfig, ModelPrice
from ..models.catalog import PRICE_EFFECTIVE_KEY, PRICE_SOURCE_KEY, UnpricedModel
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
    "--add-new",
    is_flag=True,
    help="Also add, inactive, the models genai-prices knows for the installed providers "
    "that the catalog lacks (with their whole price, tool fees included).",
)
@click.option(
    "--effective-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date the new prices from this day (a correction of past prices; then "
    "`backfill-costs --reprice --since DAY` prices that usage again). Default: now.",
)
@with_appcontext
def sync_command(dry_run, force, effective_from, add_new):
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
    changed = kept = unknown = added = 0
    known: set[tuple[str, str]] = set()
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
            known.add((model.provider, info.id))
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
        if add_new:
            added = _add_new(known, now, dry_run)
        if dry_run:
            db.session.rollback()
        else:
            try:
                db.session.commit()
            except UnpricedModel as exc:  # genai-prices left a part of an active model unpriced
                db.session.rollback()
                raise click.ClickException(f"{exc}; nothing was changed") from None
    finally:
        db.session.info.pop(PRICE_SOURCE_KEY, None)
        db.session.info.pop(PRICE_EFFECTIVE_KEY, None)
    verb = "would change" if dry_run else "changed"
    summary = f"{verb} {changed} model(s)" if changed else "no differences"
    if add_new:
        summary += f"; {'would add' if dry_run else 'added'} {added} new model(s), inactive"
    click.echo(f"{summary}; {kept} kept as an admin set them; {unknown} unknown to genai-prices")


def _add_new(known, now, dry_run: bool) -> int:
    """Add the models genai-prices knows and the catalog lacks, inactive (an admin looks
    at them, sets their credits and turns them on): the catalog's rows are never touched."""
    from ..plugins import current_plugins

    installed = set(registry.providers(current_plugins().pm))
    taken = set(db.session.execute(select(AIModelConfig.model_name)).scalars())
    found = [m for m in new_models(installed, known, now) if m.columns["model_name"] not in taken]
    for order, model in enumerate(found):
        columns = model.columns
        per_1m = [
            format((columns[c] * 1000).normalize(), "f")
            for c in ("cost_per_1k_input", "cost_per_1k_output")
        ]
        fees = (columns["pricing"] or {}).get("tool_fees")
        click.echo(
            f"{'would add' if dry_run else 'added'} {model.provider}/{columns['model_name']} "
            f"({model.model_type}): ${per_1m[0]} in, ${per_1m[1]} out per 1M"
            + (f", tools {fees} per 1,000" if fees else "")
            + ", inactive"
        )
        db.session.add(
            AIModelConfig(
                **columns,
                provider=model.provider,
                model_type=model.model_type,
                is_active=False,
                is_default=False,
                sort_order=1000 + order,
            )
        )
    return len(found)
