"""The lists a frontend's pages filter: ideas by cluster and status, tasks by status, the
ledger by type and dates; a prompt previewed before it is saved, and the global template
shown beside an override."""

from datetime import timedelta

from sqlalchemy import update
from test_edits_api import seed, site_path

from igny8 import prompts
from igny8.billing import ledger
from igny8.extensions import db
from igny8.models import ContentIdea, CreditTransaction
from igny8.timeutil import utcnow


def titles(answer):
    assert answer.status_code == 200, answer.json
    return sorted(item["title"] for item in answer.json["items"])


def test_ideas_filter_by_cluster_and_status_and_search_their_titles(app, client, tenant):
    rows = seed(app, tenant)
    with app.app_context():
        db.session.execute(
            update(ContentIdea)
            .where(ContentIdea.cluster_id == rows["cake"])
            .values(status="queued")
        )
        db.session.commit()
    url = site_path(tenant, "/ideas")
    get = lambda query: client.get(url + query, headers=tenant.headers)  # noqa: E731
    assert titles(get(f"?cluster_id={rows['bread']}")) == ["All about bread"]
    assert titles(get("?status=queued")) == ["All about cake"]
    assert titles(get("?q=ABOUT&sort=-title")) == ["All about bread", "All about cake"]
    assert [i["title"] for i in get("?sort=-title").json["items"]] == [
        "All about cake",
        "All about bread",
    ]
    assert get("?status=done").status_code == 422
    assert get("?cluster_id=0").status_code == 422


def test_tasks_filter_by_status(app, client, tenant):
    seed(app, tenant)
    ideas = client.get(site_path(tenant, "/ideas"), headers=tenant.headers).json["items"]
    made = client.post(
        site_path(tenant, "/tasks"),
        json={"idea_ids": [i["id"] for i in ideas]},
        headers=tenant.headers,
    )
    assert made.status_code == 201 and made.json["created"] == 2
    url = site_path(tenant, "/tasks")
    assert client.get(url + "?status=queued", headers=tenant.headers).json["total"] == 2
    assert client.get(url + "?status=failed", headers=tenant.headers).json["total"] == 0
    assert titles(client.get(url + "?q=cake", headers=tenant.headers)) == ["All about cake"]
    assert client.get(url + "?status=nope", headers=tenant.headers).status_code == 422


def test_the_ledger_filters_by_type_and_inclusive_dates(app, client, tenant):
    with app.app_context():
        ledger.hold(tenant.account_id, 5, 1, "call-1")
        ledger.settle(tenant.account_id, 5, 2, "call-1")
        db.session.commit()
        # The opening grant happened ten days ago.
        db.session.execute(
            update(CreditTransaction)
            .where(CreditTransaction.account_id == tenant.account_id)
            .where(CreditTransaction.type.notin_(("hold", "settle")))
            .values(created_at=utcnow() - timedelta(days=10))
        )
        db.session.commit()
    get = lambda query: client.get("/api/v1/credits" + query, headers=tenant.headers)  # noqa: E731
    everything = get("").json
    assert everything["balance"] == 998
    assert [r["type"] for r in get("?type=settle").json["items"]] == ["settle"]
    today = utcnow().date()
    recent = get(f"?start={today.isoformat()}&end={today.isoformat()}").json["items"]
    assert {r["type"] for r in recent} == {"hold", "settle"}
    old = (today - timedelta(days=10)).isoformat()
    earlier = get(f"?start={old}&end={old}").json
    assert earlier["total"] == everything["total"] - 2
    assert get("?type=gift").status_code == 422
    assert get(f"?start={today}&end={old}").json["items"] == []  # backwards: no days


def test_a_prompt_is_previewed_with_sample_values_and_its_global_template_stays_visible(
    app, client, tenant
):
    with app.app_context():
        prompts.populate()
        db.session.commit()
        global_template = prompts.template_for("clustering", None)[0]
    url = "/api/v1/prompts/clustering"
    mine = "Group {% for k in keywords %}[{{ k }}]{% endfor %} for {{ site_name }}"
    saved = client.put(url, json={"template": mine}, headers=tenant.headers).json
    assert saved["template"] == mine and saved["global_template"] == global_template
    preview = client.post(
        url + "/preview", json={"variables": {"keywords": ["a", "b"]}}, headers=tenant.headers
    )
    assert preview.status_code == 200
    assert preview.json["rendered"] == "Group [a][b] for <site_name>"
    assert preview.json["variables"] == {"keywords": ["a", "b"], "site_name": "<site_name>"}
    draft = client.post(
        url + "/preview", json={"template": "Only {{ site_name }}"}, headers=tenant.headers
    )
    assert draft.json["rendered"] == "Only <site_name>"
    # Previewing saves nothing.
    assert (
        client.get("/api/v1/prompts", headers=tenant.headers).json["items"][0]["template"] == mine
    )
    bad = client.post(url + "/preview", json={"template": "{{ secret }}"}, headers=tenant.headers)
    assert bad.status_code == 422 and bad.json["code"] == "prompt_error"
    unknown = client.post(
        url + "/preview", json={"variables": {"secret": 1}}, headers=tenant.headers
    )
    assert unknown.status_code == 422
    assert (
        client.post("/api/v1/prompts/nope/preview", json={}, headers=tenant.headers).status_code
        == 404
    )
