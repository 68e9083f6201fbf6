"""A frontend edits what the platform made: PATCH and DELETE with ETag / If-Match (412 on a
stale tag, nothing changed), content edits that keep revisions, clusters merged and
deleted, images captioned or marked for regeneration, bulk delete and update, filters and next links,
and nothing a running run works on (409)."""

from sqlalchemy import select

from igny8.extensions import db
from igny8.models import (
    Cluster,
    Content,
    ContentIdea,
    Image,
    Keyword,
    OperationRun,
    Publication,
)
from igny8.timeutil import utcnow


def site_path(tenant, rest=""):
    return f"/api/v1/sites/{tenant.site_id}{rest}"


def add_keywords(client, tenant, *words):
    answer = client.post(
        site_path(tenant, "/keywords"),
        json={"keywords": list(words)},
        headers=tenant.headers,
    )
    assert answer.status_code == 201
    return [k["id"] for k in answer.json["items"]]


def seed(app, tenant):
    """Two clusters with keywords and an idea, one content with an image and a publication."""
    with app.app_context():
        rows = {}
        for name in ("bread", "cake"):
            cluster = Cluster(account_id=tenant.account_id, site_id=tenant.site_id, name=name)
            db.session.add(cluster)
            db.session.flush()
            for word in (f"{name} recipe", f"easy {name}"):
                db.session.add(
                    Keyword(
                        account_id=tenant.account_id,
                        site_id=tenant.site_id,
                        keyword=word,
                        cluster_id=cluster.id,
                        status="clustered",
                    )
                )
            db.session.add(
                ContentIdea(
                    account_id=tenant.account_id,
                    site_id=tenant.site_id,
                    cluster_id=cluster.id,
                    title=f"All about {name}",
                )
            )
            rows[name] = cluster.id
        content = Content(
            account_id=tenant.account_id,
            site_id=tenant.site_id,
            title="Sourdough",
            html="<p>one two three</p>",
            word_count=3,
        )
        db.session.add(content)
        db.session.flush()
        image = Image(
            account_id=tenant.account_id,
            site_id=tenant.site_id,
            content_id=content.id,
            kind="featured",
            prompt="a loaf",
            status="generated",
        )
        db.session.add(image)
        db.session.add(
            Publication(
                account_id=tenant.account_id,
                site_id=tenant.site_id,
                content_id=content.id,
                target="webhook",
                status="failed",
                error="webhook answered 500",
            )
        )
        db.session.commit()
        rows.update(content=content.id, image=image.id)
        return rows


def test_a_patch_with_the_etag_it_read_applies_and_a_stale_one_is_412(client, tenant):
    [kid] = add_keywords(client, tenant, "rye bread")
    url = site_path(tenant, f"/keywords/{kid}")
    read = client.get(url, headers=tenant.headers)
    assert read.status_code == 200 and read.json["keyword"] == "rye bread"
    tag = read.headers["ETag"]
    changed = client.patch(url, json={"volume": 900}, headers={**tenant.headers, "If-Match": tag})
    assert changed.status_code == 200 and changed.json["volume"] == 900
    assert changed.headers["ETag"] != tag
    stale = client.patch(url, json={"volume": 1}, headers={**tenant.headers, "If-Match": tag})
    assert stale.status_code == 412
    assert stale.json["error"]["code"] == "precondition_failed"
    assert stale.json["error"]["details"]["etag"] == changed.headers["ETag"]
    assert client.get(url, headers=tenant.headers).json["volume"] == 900  # nothing changed
    gone = client.delete(url, headers={**tenant.headers, "If-Match": tag})
    assert gone.status_code == 412
    assert (
        client.delete(
            url, headers={**tenant.headers, "If-Match": changed.headers["ETag"]}
        ).status_code
        == 204
    )
    assert client.get(url, headers=tenant.headers).status_code == 404


def test_keyword_edits_are_validated_and_unique_per_site(client, tenant, make_tenant):
    first, second = add_keywords(client, tenant, "spelt", "oat")
    url = site_path(tenant, f"/keywords/{second}")
    dup = client.patch(url, json={"keyword": "  SPELT "}, headers=tenant.headers)
    assert dup.status_code == 409
    for body in ({"difficulty": 101}, {"status": "gone"}, {"volume": -1}, {"nope": 1}):
        bad = client.patch(url, json=body, headers=tenant.headers)
        assert bad.status_code == 422, body
    assert (
        client.patch(url, json={"cluster_id": 2**31 - 1}, headers=tenant.headers).status_code == 404
    )
    other = make_tenant()
    theirs = client.get(site_path(tenant, f"/keywords/{first}"), headers=other.headers)
    assert theirs.status_code == 404
    assert (
        client.delete(site_path(tenant, f"/keywords/{first}"), headers=other.headers).status_code
        == 404
    )
    assert (
        client.get(site_path(tenant, f"/keywords/{first}"), headers=tenant.headers).status_code
        == 200
    )


def test_editing_content_keeps_each_earlier_version_as_a_listed_revision(app, client, tenant):
    rows = seed(app, tenant)
    url = site_path(tenant, f"/content/{rows['content']}")
    before = client.get(url, headers=tenant.headers).json
    assert before["html"] == "<p>one two three</p>" and before["revisions"] == 0
    edited = client.patch(
        url,
        json={
            "title": "Sourdough at home",
            "html": "<p>one two three four five</p>",
            "meta_description": "How",
        },
        headers=tenant.headers,
    )
    assert edited.status_code == 200
    assert edited.json["word_count"] == 5 and edited.json["revisions"] == 1
    meta_only = client.patch(url, json={"meta_description": "Why"}, headers=tenant.headers)
    assert meta_only.json["revisions"] == 1  # nothing of the text changed: no revision
    listed = client.get(url + "/revisions", headers=tenant.headers).json
    assert listed["total"] == 1
    [revision] = listed["items"]
    assert revision["title"] == "Sourdough" and "html" not in revision
    one = client.get(url + f"/revisions/{revision['id']}", headers=tenant.headers).json
    assert one["html"] == "<p>one two three</p>" and one["reason"] == "before an edit"
    assert client.get(url + "/revisions/999999", headers=tenant.headers).status_code == 404


def test_clusters_are_renamed_merged_and_deleted_with_their_keywords_kept(app, client, tenant):
    rows = seed(app, tenant)
    bread, cake = rows["bread"], rows["cake"]
    renamed = client.patch(
        site_path(tenant, f"/clusters/{bread}"), json={"name": "Breads"}, headers=tenant.headers
    )
    assert renamed.status_code == 200 and renamed.json["name"] == "Breads"
    merged = client.post(
        site_path(tenant, f"/clusters/{bread}/merge"),
        json={"cluster_ids": [cake]},
        headers=tenant.headers,
    )
    assert merged.status_code == 200
    assert len(merged.json["keywords"]) == 4
    assert (
        client.get(site_path(tenant, f"/clusters/{cake}"), headers=tenant.headers).status_code
        == 404
    )
    with app.app_context():
        ideas = db.session.scalars(
            select(ContentIdea.cluster_id).where(ContentIdea.site_id == tenant.site_id)
        ).all()
        assert ideas == [bread, bread]
    assert (
        client.delete(site_path(tenant, f"/clusters/{bread}"), headers=tenant.headers).status_code
        == 204
    )
    keywords = client.get(site_path(tenant, "/keywords"), headers=tenant.headers).json["items"]
    assert len(keywords) == 4
    assert {(k["cluster_id"], k["status"]) for k in keywords} == {(None, "new")}


def test_ideas_tasks_and_images_are_edited_and_an_image_marked_for_regeneration(
    app, client, tenant
):
    rows = seed(app, tenant)
    ideas = client.get(site_path(tenant, "/ideas"), headers=tenant.headers).json["items"]
    idea_url = site_path(tenant, f"/ideas/{ideas[0]['id']}")
    edited = client.patch(
        idea_url, json={"title": "Bread, simply", "target_word_count": 1200}, headers=tenant.headers
    )
    assert edited.status_code == 200 and edited.json["target_word_count"] == 1200
    image_url = site_path(tenant, f"/images/{rows['image']}")
    captioned = client.patch(
        image_url, json={"caption": "A loaf", "alt": "a sourdough loaf"}, headers=tenant.headers
    )
    assert captioned.status_code == 200
    assert (captioned.json["caption"], captioned.json["alt"]) == ("A loaf", "a sourdough loaf")
    again = client.patch(
        image_url, json={"regenerate": True, "prompt": "a darker loaf"}, headers=tenant.headers
    )
    assert again.json["status"] == "pending"
    deleted = client.post(
        site_path(tenant, "/ideas/bulk-delete"),
        json={"ids": [i["id"] for i in ideas]},
        headers=tenant.headers,
    )
    assert deleted.status_code == 200 and deleted.json == {"deleted": 2}
    assert client.get(site_path(tenant, "/ideas"), headers=tenant.headers).json["total"] == 0
    missing = client.post(
        site_path(tenant, "/ideas/bulk-delete"), json={"ids": [2**31 - 1]}, headers=tenant.headers
    )
    assert missing.status_code == 404


def test_publications_are_listed_with_their_status_and_error(app, client, tenant):
    rows = seed(app, tenant)
    listed = client.get(
        site_path(tenant, "/publications?status=failed"), headers=tenant.headers
    ).json
    [publication] = listed["items"]
    assert publication["content_id"] == rows["content"]
    assert publication["error"] == "webhook answered 500"
    assert (
        client.get(
            site_path(tenant, "/publications?status=published"), headers=tenant.headers
        ).json["total"]
        == 0
    )


def test_what_a_running_run_works_on_cannot_be_edited_or_deleted(app, client, tenant):
    kid, other = add_keywords(client, tenant, "barley", "millet")
    with app.app_context():
        run = OperationRun(
            account_id=tenant.account_id,
            site_id=tenant.site_id,
            operation="clustering",
            status="running",
            items=1,
            started_at=utcnow(),
            heartbeat_at=utcnow(),
            work=[[kid]],  # a batch of keyword ids
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    url = site_path(tenant, f"/keywords/{kid}")
    busy = client.delete(url, headers=tenant.headers)
    assert busy.status_code == 409 and busy.json["error"]["details"] == {"run_id": run_id}
    assert client.patch(url, json={"volume": 3}, headers=tenant.headers).status_code == 409
    bulk = client.post(
        site_path(tenant, "/keywords/bulk-delete"),
        json={"ids": [kid, other]},
        headers=tenant.headers,
    )
    assert bulk.status_code == 409
    assert (
        client.delete(site_path(tenant, f"/keywords/{other}"), headers=tenant.headers).status_code
        == 204
    )
    with app.app_context():
        db.session.get(OperationRun, run_id).status = "succeeded"
        db.session.commit()
    assert client.delete(url, headers=tenant.headers).status_code == 204


def test_a_bulk_update_changes_every_selected_row_or_none(client, tenant, make_tenant):
    ids = add_keywords(client, tenant, "rye", "spelt", "emmer")
    url = site_path(tenant, "/keywords/bulk-update")
    done = client.post(
        url, json={"ids": ids[:2], "changes": {"status": "archived"}}, headers=tenant.headers
    )
    assert done.status_code == 200 and done.json == {"updated": 2}
    listed = client.get(site_path(tenant, "/keywords?sort=id"), headers=tenant.headers).json
    assert [k["status"] for k in listed["items"]] == ["archived", "archived", "new"]
    # Two rows cannot both become "rye": refused, and the first is not left renamed.
    clash = client.post(
        url, json={"ids": ids[1:], "changes": {"keyword": "rye2"}}, headers=tenant.headers
    )
    assert clash.status_code == 409
    after = client.get(site_path(tenant, "/keywords?sort=id"), headers=tenant.headers).json
    assert [k["keyword"] for k in after["items"]] == ["rye", "spelt", "emmer"]
    bad = client.post(url, json={"ids": ids, "changes": {"status": "gone"}}, headers=tenant.headers)
    assert bad.status_code == 422
    assert bad.json["error"]["details"]["fields"] == {
        "changes": {"status": ["Must be one of: new, clustered, archived."]}
    }
    theirs = make_tenant()
    other = client.post(
        url, json={"ids": ids, "changes": {"status": "new"}}, headers=theirs.headers
    )
    assert other.status_code == 404


def test_lists_filter_search_sort_and_link_to_their_next_page(client, tenant):
    add_keywords(
        client,
        tenant,
        {"keyword": "white bread", "volume": 10},
        {"keyword": "brown bread", "volume": 30},
        {"keyword": "scones", "volume": 20},
    )
    url = site_path(tenant, "/keywords")
    found = client.get(url + "?q=bread&sort=-volume", headers=tenant.headers).json
    assert [k["keyword"] for k in found["items"]] == ["brown bread", "white bread"]
    assert client.get(url + "?q=%25", headers=tenant.headers).json["total"] == 0  # % is literal
    assert client.get(url + "?status=clustered", headers=tenant.headers).json["total"] == 0
    assert client.get(url + "?sort=password", headers=tenant.headers).status_code == 422
    first = client.get(url + "?per_page=2&sort=keyword", headers=tenant.headers).json
    assert [k["keyword"] for k in first["items"]] == ["brown bread", "scones"]
    assert first["next"] == f"{url}?per_page=2&sort=keyword&page=2"
    last = client.get(first["next"], headers=tenant.headers).json
    assert [k["keyword"] for k in last["items"]] == ["white bread"] and last["next"] is None
    runs = client.get("/api/v1/runs?status=running&site_id=1", headers=tenant.headers)
    assert runs.status_code == 200 and runs.json["total"] == 0
    assert client.get("/api/v1/runs?status=nope", headers=tenant.headers).status_code == 422


def test_a_deleted_site_is_archived_gone_from_the_api_and_frees_its_plan_slot(app, client, tenant):
    with app.app_context():
        run = OperationRun(
            account_id=tenant.account_id,
            site_id=tenant.site_id,
            operation="echo",
            status="queued",
            items=1,
            work=["a"],
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    url = site_path(tenant)
    busy = client.delete(url, headers=tenant.headers)
    assert busy.status_code == 409 and busy.json["error"]["details"] == {"run_id": run_id}
    with app.app_context():
        db.session.get(OperationRun, run_id).status = "cancelled"
        db.session.commit()
    assert client.delete(url, headers=tenant.headers).status_code == 204
    assert client.get(url, headers=tenant.headers).status_code == 404
    assert client.get(url + "/keywords", headers=tenant.headers).status_code == 404
    assert client.get(url + "/clusters", headers=tenant.headers).status_code == 404  # a module's
    assert client.get("/api/v1/sites", headers=tenant.headers).json["total"] == 0
    with app.app_context():
        from igny8.models import Site

        assert db.session.get(Site, tenant.site_id).is_active is False  # kept for its history
        assert db.session.get(OperationRun, run_id).site_id == tenant.site_id
    made = client.post(
        "/api/v1/sites",
        json={"name": "New", "url": "https://new.example.test"},
        headers=tenant.headers,
    )
    assert made.status_code == 201  # the starter plan's one site is free again


def test_a_sort_puts_empty_values_last_in_both_directions_on_both_databases(client, tenant):
    add_keywords(
        client,
        tenant,
        {"keyword": "no volume"},
        {"keyword": "small", "volume": 10},
        {"keyword": "large", "volume": 90},
    )
    url = site_path(tenant, "/keywords")

    def order(sort):
        items = client.get(f"{url}?sort={sort}", headers=tenant.headers).json["items"]
        return [k["keyword"] for k in items]

    assert order("-volume") == ["large", "small", "no volume"]
    assert order("volume") == ["small", "large", "no volume"]
