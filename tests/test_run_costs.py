"""What a run costs besides its items' own work (issue 19): what is read once per run is
read once, and a request waiting for a run's end is not woken by each of its items (a
pooled connection in steady use is not pinged: tests/faults/test_database_outage.py)."""

import threading
import time

import pytest
from content_support import Api, use_offline
from sqlalchemy import event

from igny8.extensions import db
from igny8.models import Cluster, Keyword
from igny8.runs.signals import announce, current_signals


@pytest.fixture
def api(app, client, tenant):
    use_offline(app)
    return Api(client, tenant)


def statements_during(app, action) -> list[str]:
    seen = []

    def log(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", log)
    return seen


def test_a_runs_site_and_prompt_are_read_once_not_once_per_item(app, api, tenant):
    with app.app_context():
        clusters = []
        for n in range(6):
            cluster = Cluster(account_id=tenant.account_id, site_id=tenant.site_id, name=f"c{n}")
            db.session.add(cluster)
            db.session.flush()
            db.session.add_all(
                Keyword(
                    account_id=tenant.account_id,
                    site_id=tenant.site_id,
                    cluster_id=cluster.id,
                    keyword=f"kw {n} {k}",
                )
                for k in range(3)
            )
            clusters.append(cluster.id)
        db.session.commit()
    answers = []
    seen = statements_during(
        app,
        lambda: answers.append(
            api("post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": clusters}, 200)
        ),
    )
    run = answers[0]["run"]
    assert run["status"] == "succeeded" and run["items_succeeded"] == 6
    per_item = [s for s in seen if s.startswith("SELECT") and " FROM keywords" in s]
    assert len(per_item) == 6  # each cluster's keywords: the item's own reads
    # The site: once by the request (is it the caller's?), once by the run for its items.
    assert len([s for s in seen if s.startswith("SELECT") and " FROM sites " in s]) == 2
    assert len([s for s in seen if s.startswith("SELECT") and " FROM prompts " in s]) == 1


def test_a_waited_run_reads_its_rows_once_each(app, api, tenant):
    """A one-item run the request waits for: the handler's cluster is read once (looking
    up the provider's key does not expire it), a run with no failed item looks up no first
    error, the worker that ends the run reads no results, and the waiting request reads
    the finished run once and its results once."""
    with app.app_context():
        cluster = Cluster(account_id=tenant.account_id, site_id=tenant.site_id, name="one")
        db.session.add(cluster)
        db.session.commit()
        cluster_id = cluster.id
    answers = []
    seen = statements_during(
        app,
        lambda: answers.append(
            api(
                "post",
                "/api/v1/sites/{site}/clusters/ideas",
                {"cluster_ids": [cluster_id]},
                200,
                Prefer="wait=30",
            )
        ),
    )
    assert answers[0]["run"]["status"] == "succeeded"
    selects = [s for s in seen if s.startswith("SELECT")]
    # The request's ownership check reads the id only; the handler reads the row once.
    assert len([s for s in selects if s.startswith("SELECT clusters.name")]) == 1
    assert not [s for s in selects if " FROM operation_run_items" in s and "'failed'" in s]
    assert not [s for s in selects if "operation_run_items.status =" in s]
    # The results: once, for the answer.
    assert len([s for s in selects if s.startswith("SELECT operation_run_items.result")]) == 1
    # The whole run row: the worker's look at it, the end's, and the waiting request's.
    assert len([s for s in selects if s.startswith("SELECT operation_runs.id,")]) == 3


def test_a_request_waiting_for_the_end_of_a_run_is_not_woken_by_each_item(shared, app):
    signals = current_signals(app)
    with signals.watching(4242) as changed, signals.watching(4242, ends_only=True) as ended:
        signals.changed(4242)
        assert changed.is_set() and not ended.is_set()
        changed.clear()
        signals.changed(4242, ended=True)
        assert changed.is_set() and ended.is_set()
    if shared.database.url.startswith("sqlite"):
        return
    # Across processes: the NOTIFY of an item's progress, then of the run's end.
    with signals.watching(4243, ends_only=True) as ended:
        deadline = time.monotonic() + 10
        while not signals.listening and time.monotonic() < deadline:
            time.sleep(0.05)
        assert signals.listening
        with app.app_context():
            announce(db.session, 4243)
            db.session.commit()
        assert not ended.wait(0.5)
        woken = threading.Event()
        with signals.watching(4243, woken):
            with app.app_context():
                announce(db.session, 4243, ended=True)
                db.session.commit()
            assert ended.wait(5) and woken.wait(5)  # its progress watchers too
