"""Every content operation end to end through the API, on the offline provider."""

import pytest
from content_support import KEYWORDS, Api, use_offline
from sqlalchemy import select

from igny8.extensions import db
from igny8.models import Content, ContentLink, ContentRevision, Keyword


@pytest.fixture
def api(app, client, tenant):
    use_offline(app)
    return Api(client, tenant)


def test_keywords_are_normalised_and_deduplicated(api):
    body = api(
        "post",
        "/api/v1/sites/{site}/keywords",
        {
            "keywords": [
                "  Best  Running Shoes ",
                {"keyword": "trail shoes", "volume": 900, "difficulty": 40},
                "best running shoes",
            ]
        },
        201,
    )
    assert body["created"] == 2 and body["skipped"] == ["best running shoes"]
    listed = api("get", "/api/v1/sites/{site}/keywords")["items"]
    assert [(k["keyword"], k["volume"]) for k in listed] == [
        ("best running shoes", None),
        ("trail shoes", 900),
    ]
    bad = api(
        "post",
        "/api/v1/sites/{site}/keywords",
        {"keywords": [{"keyword": "x", "difficulty": 101}]},
        422,
    )
    assert bad["error"]["code"] == "validation_error"


def test_clustering_puts_each_keyword_in_at_most_one_cluster(app, api):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
    run = api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    assert run["run"]["operation"] == "clustering" and run["run"]["status"] == "succeeded"
    assert run["run"]["credits_used"] >= 2  # clustering's min_credits
    clusters = api("get", "/api/v1/sites/{site}/clusters")["items"]
    members = [k["keyword"] for c in clusters for k in c["keywords"]]
    assert len(members) == len(set(members)) and set(members) <= set(KEYWORDS)
    assert all(3 <= len(c["keywords"]) <= 10 for c in clusters)
    again = api("post", "/api/v1/sites/{site}/keywords/cluster", {}, None)
    # Nothing or too little left unclustered: the site's state refuses a second run (409).
    assert again.get("error", {}).get("code") in ("conflict", None)


def test_ideas_keep_outlines_and_word_counts(api):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    clusters = api("get", "/api/v1/sites/{site}/clusters")["items"]
    run = api(
        "post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": [clusters[0]["id"]]}, 200
    )
    assert run["run"]["status"] == "succeeded"
    ideas = api("get", "/api/v1/sites/{site}/ideas")["items"]
    assert 3 <= len(ideas) <= 7
    for idea in ideas:
        assert idea["outline"] and all(section["heading"] for section in idea["outline"])
        assert 600 <= idea["target_word_count"] <= 3000
        assert idea["content_structure"] in (
            "article",
            "guide",
            "how_to",
            "comparison",
            "review",
            "listicle",
        )
        assert idea["primary_keyword"] in [k["keyword"] for k in clusters[0]["keywords"]]


def test_tasks_then_content_with_measured_word_count(api):
    content_ids = api.journey_to_content(n_tasks=2)
    tasks = api("get", "/api/v1/sites/{site}/tasks")["items"]
    assert {t["status"] for t in tasks} == {"completed"}
    content = api("get", f"/api/v1/content/{content_ids[0]}")
    assert content["html"].startswith("<h2>") and content["word_count"] > 300
    listing = api("get", "/api/v1/sites/{site}/content")
    assert listing["total"] == 2 and "html" not in listing["items"][0]
    # Queuing the same ideas again creates nothing new.
    ideas = [t["idea_id"] for t in tasks]
    assert api("post", "/api/v1/sites/{site}/tasks", {"idea_ids": ideas}, 201)["created"] == 0


def test_image_prompts_captions_and_generation(app, api):
    content_id = api.journey_to_content(n_tasks=1)[0]
    run = api(
        "post", "/api/v1/sites/{site}/content/image-prompts", {"content_ids": [content_id]}, 200
    )
    assert run["run"]["status"] == "succeeded"
    content = api("get", f"/api/v1/content/{content_id}")
    kinds = [(i["kind"], i["position"]) for i in content["images"]]
    assert kinds == [
        ("featured", 0),
        ("in_article", 1),
        ("in_article", 2),
    ]  # max_in_article_images 2
    assert all(i["caption"] and i["alt"] and i["prompt"] for i in content["images"])
    ids = [i["id"] for i in content["images"]]
    generated = api("post", "/api/v1/sites/{site}/images/generate", {"image_ids": ids}, 200)
    assert generated["run"]["status"] == "succeeded" and generated["run"]["credits_used"] == 3
    images = api("get", "/api/v1/sites/{site}/images")["items"]
    assert {i["status"] for i in images} == {"generated"}
    anonymous = app.test_client()  # an <img src>: no token, the URL is signed
    for image in images:
        assert "file_path" not in image and app.config["MEDIA_DIR"] not in str(image)
        served = anonymous.get(image["url"])
        assert served.status_code == 200 and served.mimetype == "image/png"
        assert served.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert app.config["MEDIA_DIR"] not in str(generated)  # nor in the run's results
    # Generated images are not planned over.
    # Its only item refused (already done): 409 run_failed, the run in the details.
    refused = api(
        "post", "/api/v1/sites/{site}/content/image-prompts", {"content_ids": [content_id]}, 409
    )
    assert refused["error"]["code"] == "run_failed"
    assert refused["error"]["details"]["results"][0]["error"]["code"] == "conflict"


def test_optimization_scores_and_keeps_the_original(app, api):
    content_id = api.journey_to_content(n_tasks=1)[0]
    before = api("get", f"/api/v1/content/{content_id}")
    run = api(
        "post",
        "/api/v1/sites/{site}/content/optimize",
        {"content_ids": [content_id], "keywords": ["trail running shoes"]},
        200,
    )
    result = run["results"][0]
    assert (
        result["status"] == "succeeded"
        and 0 <= result["score_before"] <= 100
        and 0 <= result["score_after"] <= 100
    )
    with app.app_context():
        revision = db.session.get(ContentRevision, result["revision_id"])
        assert revision.html == before["html"]
    restored = api(
        "post",
        f"/api/v1/sites/{{site}}/content/{content_id}/revisions/{result['revision_id']}/restore",
        None,
        200,
    )
    assert restored["html"] == before["html"] and restored["revisions"] == 2


def test_linking_inserts_links_between_the_sites_content(app, api):
    content_ids = api.journey_to_content(n_tasks=3)
    source, targets = content_ids[0], content_ids[1:]
    with app.app_context():
        # Whichever article the offline model picks as a target, its keyword is in the text.
        content = db.session.get(Content, source)
        keywords = [db.session.get(Content, t).task.idea.primary_keyword for t in targets]
        content.html += "".join(f"<p>More on {k} here.</p>" for k in keywords)
        db.session.commit()
    run = api("post", "/api/v1/sites/{site}/content/link", {"content_ids": [source]}, 200)
    assert run["run"]["status"] == "succeeded"
    placed = run["results"][0]["links"]
    linked = [p["target_content_id"] for p in placed]
    assert 1 <= len(placed) <= 2 and set(linked) <= set(targets) and len(set(linked)) == len(linked)
    with app.app_context():
        links = db.session.execute(select(ContentLink)).scalars().all()
        assert sorted((link.source_content_id, link.target_content_id) for link in links) == sorted(
            (source, t) for t in linked
        )
        html = api("get", f"/api/v1/content/{source}")["html"]
        for link in links:
            assert f'href="{link.url}">{link.anchor_text}</a>' in html
        revisions = (
            db.session.execute(select(ContentRevision).where(ContentRevision.content_id == source))
            .scalars()
            .all()
        )
        assert [r.reason for r in revisions] == ["before internal linking"]


def test_module_switched_off_answers_403_on_its_endpoints(app, api, runner):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
    assert runner.invoke(args=["igny8", "module", "disable", "clustering"]).exit_code == 0
    for method, path, body in [
        ("post", "/api/v1/sites/{site}/keywords/cluster", {}),
        ("get", "/api/v1/sites/{site}/clusters", None),
    ]:
        assert api(method, path, body, 403)["error"]["code"] == "module_disabled"
    modules = {m["key"]: m["enabled"] for m in api("get", "/api/v1/modules")["items"]}
    assert modules["clustering"] is False
    with app.app_context():
        assert db.session.execute(select(Keyword.cluster_id)).scalars().all() == [None] * len(
            KEYWORDS
        )


def test_clustering_fewer_keywords_than_a_cluster_needs_is_refused(app, client, api):
    added = api(
        "post", "/api/v1/sites/{site}/keywords", {"keywords": ["one keyword", "two keywords"]}, 201
    )
    named = [k["id"] for k in added["items"]]
    refused = api("post", "/api/v1/sites/{site}/keywords/cluster", {"keyword_ids": named}, 422)
    assert refused["error"]["message"].startswith("a cluster needs at least 3 keywords")
    # Asked for the site's unclustered keywords: its state, not the request, is short.
    refused = api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 409)
    assert refused["error"]["message"] == (
        "a cluster needs at least 3 keywords; 2 unclustered keywords were given"
    )
    assert api("get", "/api/v1/runs")["items"] == []  # no run was started


def test_an_empty_body_is_an_empty_object_where_every_field_is_optional(app, client, api):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
    answer = client.post(
        f"/api/v1/sites/{api.site}/keywords/cluster", headers=api.tenant.headers
    )  # no body, no Content-Type
    assert answer.status_code == 200 and answer.json["run"]["status"] == "succeeded"
    required = client.post(f"/api/v1/sites/{api.site}/keywords", headers=api.tenant.headers)
    assert required.status_code == 400  # "keywords" is required: a body is
