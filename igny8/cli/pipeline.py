"""`flask igny8 pipeline`: keywords -> clusters -> ideas -> tasks -> content -> image prompts
-> images (-> publish when the site has a target), each stage through the engine."""

from dataclasses import dataclass
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import exists, select

from .. import demo, registry
from ..ai.engine import OperationRefused, run_operation
from ..extensions import db
from ..models import Account, Cluster, Content, ContentIdea, Image, Keyword, Publication, Site, Task
from ..plugins import current_plugins
from ..text import normalise_keyword


def _ids(query) -> list[int]:
    return list(db.session.execute(query).scalars())


# Each stage: (operation, label, items for the site). Items follow each operation's contract.
def _keywords(site):
    return _ids(
        select(Keyword.id)
        .where(Keyword.site_id == site.id, Keyword.cluster_id.is_(None))
        .order_by(Keyword.id)
    )


def _clusters(site):
    return _ids(
        select(Cluster.id)
        .where(Cluster.site_id == site.id, ~exists().where(ContentIdea.cluster_id == Cluster.id))
        .order_by(Cluster.id)
    )


def _ideas(site):
    return _ids(
        select(ContentIdea.id)
        .where(ContentIdea.site_id == site.id, ~exists().where(Task.idea_id == ContentIdea.id))
        .order_by(ContentIdea.id)
    )


def _tasks(site):
    return _ids(
        select(Task.id)
        .where(Task.site_id == site.id, Task.status.in_(("queued", "failed")))
        .order_by(Task.id)
    )


def _contents_without_images(site):
    return _ids(
        select(Content.id)
        .where(Content.site_id == site.id, ~exists().where(Image.content_id == Content.id))
        .order_by(Content.id)
    )


def _pending_images(site):
    return _ids(
        select(Image.id)
        .where(Image.site_id == site.id, Image.status.in_(("pending", "failed")))
        .order_by(Image.id)
    )


def _unpublished(site):
    target = site.publish_target
    if target is None:
        return []
    return [
        {"content_id": i, "target": target}
        for i in _ids(
            select(Content.id)
            .where(
                Content.site_id == site.id,
                ~exists().where(
                    (Publication.content_id == Content.id) & (Publication.status == "published")
                ),
            )
            .order_by(Content.id)
        )
    ]


STAGES = (
    ("clustering", "keywords -> clusters", _keywords),
    ("idea_generation", "clusters -> ideas", _clusters),
    ("task_creation", "ideas -> tasks", _ideas),
    ("content_generation", "tasks -> content", _tasks),
    ("image_prompt_extraction", "content -> image prompts", _contents_without_images),
    ("image_generation", "prompts -> images", _pending_images),
    ("publishing", "content -> published", _unpublished),
)


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

    operations = registry.operations(current_plugins().pm)
    results, stopped = [], None
    for key, label, items_of in STAGES:
        result = StageResult(label)
        results.append(result)
        if key not in operations:
            result.note = "no plugin provides it"
            continue
        items = items_of(site)
        # What the operation will work on (e.g. keyword ids in batches), as the engine sees it.
        work = operations[key].prepare(items) if operations[key].prepare else items
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
