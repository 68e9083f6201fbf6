"""Plan limits hold under concurrency: requests at the same moment, each in its own
database session, cannot together pass max_sites or max_keywords."""

import threading

from sqlalchemy import func, select

from igny8.extensions import db
from igny8.models import Keyword, Site


def at_once(app, requests):
    """Send every (method, url, json, headers) from its own thread, all released together."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def send(i, method, url, body, headers):
        client = app.test_client()
        barrier.wait()
        answers[i] = getattr(client, method)(url, json=body, headers=headers).status_code

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_max_sites_holds_when_sites_are_created_at_once(app, tenant):
    # starter: 3 sites, one of them made with the tenant
    body = {"name": "Another", "url": "https://another.example.test"}
    answers = at_once(app, [("post", "/api/v1/sites", body, tenant.headers)] * 8)
    assert sorted(answers) == [201, 201] + [403] * 6
    with app.app_context():
        count = db.session.execute(
            select(func.count(Site.id)).where(Site.account_id == tenant.account_id)
        ).scalar()
    assert count == 3


def test_max_keywords_holds_when_keywords_are_added_at_once(app, client, tenant):
    url = f"/api/v1/sites/{tenant.site_id}/keywords"
    first = [f"keyword {n}" for n in range(990)]
    assert client.post(url, json={"keywords": first}, headers=tenant.headers).status_code == 201
    batches = [[f"batch {b} keyword {n}" for n in range(5)] for b in range(4)]
    answers = at_once(app, [("post", url, {"keywords": k}, tenant.headers) for k in batches])
    assert sorted(answers) == [201, 201, 403, 403]
    with app.app_context():
        count = db.session.execute(
            select(func.count(Keyword.id)).where(Keyword.site_id == tenant.site_id)
        ).scalar()
    assert count == 1000
