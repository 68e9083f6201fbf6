"""`flask igny8 pipeline`: every stage through the engine, a closing table, a clean stop."""

import pytest
from content_support import KEYWORDS, use_offline
from sqlalchemy import func, select

from igny8.extensions import db
from igny8.models import Account, Content, Image, Keyword


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["igny8", *args])


@pytest.fixture
def keywords_file(tmp_path):
    path = tmp_path / "keywords.txt"
    path.write_text("# running\n" + "\n".join(KEYWORDS) + "\n")
    return str(path)


def test_pipeline_takes_a_site_from_keywords_to_images(app, tenant, keywords_file):
    use_offline(app)
    result = invoke(
        app, "pipeline", "--site", str(tenant.site_id), "--keywords-file", keywords_file
    )
    assert result.exit_code == 0, result.output
    assert f"keywords: {len(KEYWORDS)} added" in result.output
    for stage in (
        "keywords -> clusters",
        "clusters -> ideas",
        "ideas -> tasks",
        "tasks -> content",
        "content -> image prompts",
        "prompts -> images",
    ):
        assert stage in result.output
    assert "content -> published" in result.output and "nothing to do" in result.output
    with app.app_context():
        contents = db.session.execute(select(func.count(Content.id))).scalar()
        images = db.session.execute(select(Image.status)).scalars().all()
        assert contents >= 3 and images and set(images) == {"generated"}
        total = result.output.strip().splitlines()[-1].split()
        spent = 1000 - db.session.get(Account, tenant.account_id).credits
        assert total[0] == "total" and int(total[4]) == spent > 0
    # Safe to run twice: leftovers (keywords the first clustering left out) may be picked up,
    # finished work is never redone.
    again = invoke(app, "pipeline", "--site", str(tenant.site_id))
    assert again.exit_code == 0
    assert "image prompts" in again.output
    with app.app_context():
        from igny8.models import Task

        ideas_with_tasks = db.session.execute(select(Task.idea_id)).scalars().all()
        assert len(ideas_with_tasks) == len(set(ideas_with_tasks))
        tasks_with_content = db.session.execute(select(Content.task_id)).scalars().all()
        assert len(tasks_with_content) == len(set(tasks_with_content))


def test_pipeline_stops_cleanly_when_credits_run_out(app, make_tenant, keywords_file):
    use_offline(app)
    tenant = make_tenant(credits=20)
    result = invoke(
        app, "pipeline", "--site", str(tenant.site_id), "--keywords-file", keywords_file
    )
    assert result.exit_code == 1
    assert "credits ran out" in result.output
    with app.app_context():
        assert db.session.get(Account, tenant.account_id).credits >= 0
    assert invoke(app, "audit-ledger").exit_code == 0


def test_pipeline_reports_a_switched_off_module(app, tenant, keywords_file):
    use_offline(app)
    invoke(app, "module", "disable", "ideas")
    result = invoke(
        app, "pipeline", "--site", str(tenant.site_id), "--keywords-file", keywords_file
    )
    assert result.exit_code == 0
    assert "module 'ideas' is switched off" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count(Content.id))).scalar() == 0
        assert (
            db.session.execute(
                select(func.count(Keyword.id)).where(Keyword.cluster_id.is_not(None))
            ).scalar()
            > 0
        )


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give --site ID or --demo"),
        (["--site", "999999"], "no such site"),
        (["--site", "1", "--demo"], "give --site ID or --demo"),
        (["--site", "1", "--keywords-file", "/nonexistent"], "does not exist"),
    ],
)
def test_pipeline_bad_arguments(app, args, message):
    result = invoke(app, "pipeline", *args)
    assert result.exit_code == 2 and message in result.output


def test_demo_pipeline_runs_once(make_app):
    app = make_app(seeded=False)
    assert invoke(app, "init", "--demo").exit_code == 0
    first = invoke(app, "pipeline", "--demo")
    assert first.exit_code == 0, first.output
    assert "prompts -> images" in first.output
    second = invoke(app, "pipeline", "--demo")
    assert "already has content; nothing to do" in second.output
