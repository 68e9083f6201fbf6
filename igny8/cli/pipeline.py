"""`flask igny8 pipeline`: every pipeline stage the loaded modules declare (as shipped:
keywords -> clusters -> ideas -> tasks -> content -> image prompts -> images -> published),
in their declared order, each through the engine. A switched-off module's stages are left
out (the closing table says so)."""

from dataclasses import dataclass
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import demo, modules, registry
from ..ai.engine import OperationRefused, run_operation
from ..extensions import db
from ..models import Account, Content, Keyword, Site
from ..plugins import current_plugins
from ..text import normalise_keyword


@dataclass
class StageResult:
    label: str
    items: int = 0
    succeeded: int = 0
    failed: int = 0
    credits: int = 0
    cost: Decimal = Decimal(0)
    note: str = ""


def _read_keywords(path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [normalise_keyword(line) for line in f if line.strip() and not line.startswith("#")]


def _add_keywords(site, keywords) -> int:
    have = set(
        db.session.execute(select(Keyword.keyword).where(Keyword.site_id == site.id)).scalars()
    )
    new = [k for k in dict.fromkeys(keywords) if k and k not in have]
    db.session.add_all(Keyword(account_id=site.account_id, site_id=site.id, keyword=k) for k in new)
    db.session.commit()
    return len(new)


@click.command("pipeline")
@click.option("--site", "site_id", type=int, help="The site to run the pipeline for.")
@click.option(
    "--demo",
    "demo_site",
    is_flag=True,
    help="The demo site, once: does nothing when it already has content.",
)
@click.option(
    "--keywords-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Keywords to add first, one per line.",
)
@with_appcontext
def pipeline_command(site_id, demo_site, keywords_file):
    """Run the whole content pipeline for a site, with progress and a closing table."""
    if demo_site == (site_id is not None):
        raise click.UsageError("give --site ID or --demo")
    site = demo.demo_site() if demo_site else db.session.get(Site, site_id)
    if site is None:
        raise click.BadParameter(
            "no such site (run `flask igny8 init --demo` for the demo)", param_hint="--site"
        )
    if demo_site:
        if db.session.execute(select(Content.id).where(Content.site_id == site.id)).first():
            click.echo("demo pipeline: the demo site already has content; nothing to do")
            return
        _add_keywords(site, demo.KEYWORDS)
    if keywords_file:
        click.echo(f"keywords: {_add_keywords(site, _read_keywords(keywords_file))} added")

    results, stopped = [], None
    for operation in registry.stages(current_plugins().pm):
        key, label = operation.key, operation.stage.label
        result = StageResult(label)
        results.append(result)
        if not modules.is_enabled(operation.module):
            result.note = f"left out: module {operation.module!r} is switched off"
            continue
        items = operation.stage.pending(site)
        # What the operation will work on (e.g. keyword ids in batches), as the engine sees it.
        work = operation.prepare(items) if operation.prepare else items
        result.items = len(work)
        if not work:
            result.note = "nothing to do"
            continue
        with click.progressbar(length=len(items), label=f"{label:<26}", show_pos=True) as bar:

            def progress(done, total, bar=bar):
                bar.update(done - bar.pos)

            try:
                outcome = run_operation(
                    site.account_id, key, items, site_id=site.id, progress=progress
                )
            except OperationRefused as exc:
                result.note = exc.message
                continue
        run = outcome.run
        result.succeeded, result.failed = run.items_succeeded, run.items_failed
        result.credits, result.cost = run.credits_used, run.cost_usd
        codes = [r["error"]["code"] for r in outcome.results if r["status"] == "failed"]
        if "insufficient_credits" in codes:
            stopped = label
            result.note = "credits ran out"
            break
        if codes:
            result.note = ", ".join(sorted(set(codes)))
    _table(results)
    if stopped:
        balance = db.session.get(Account, site.account_id).credits
        click.echo(
            f"stopped at '{stopped}': the account's credits ran out (balance {balance}). "
            "Add credits with `flask igny8 grant-credits` and run the pipeline again; "
            "finished work is kept.",
            err=True,
        )
        raise SystemExit(1)


def _table(results) -> None:
    click.echo(
        f"\n{'stage':<26}{'items':>6}{'ok':>5}{'failed':>7}{'credits':>9}{'cost USD':>13}  note"
    )
    for r in results:
        click.echo(
            f"{r.label:<26}{r.items:>6}{r.succeeded:>5}{r.failed:>7}{r.credits:>9}"
            f"{format(r.cost, '.6f'):>13}  {r.note}"
        )
    click.echo(
        f"{'total':<26}{sum(r.items for r in results):>6}{sum(r.succeeded for r in results):>5}"
        f"{sum(r.failed for r in results):>7}{sum(r.credits for r in results):>9}"
        f"{format(sum((r.cost for r in results), Decimal(0)), '.6f'):>13}"
    )
