"""Publishing to WordPress (REST API, application password) and to a signed webhook."""

import hashlib
import hmac
import json

import pytest
from content_support import Api, use_offline
from igny8_linker.insert import insert_links

from igny8.extensions import db
from igny8.models import Publication

WP_PASSWORD = "abcd efgh ijkl mnop"


@pytest.fixture
def api(app, client, tenant):
    use_offline(app)
    return Api(client, tenant)


def content_with_featured_image(api):
    content_id = api.journey_to_content(n_tasks=1)[0]
    api("post", "/api/v1/sites/{site}/content/image-prompts", {"content_ids": [content_id]}, 200)
    images = api("get", f"/api/v1/content/{content_id}")["images"]
    api("post", "/api/v1/sites/{site}/images/generate", {"image_ids": [images[0]["id"]]}, 200)
    return content_id


def test_wordpress_publish_and_republish_updates_the_same_post(app, api, wordpress_server):
    content_id = content_with_featured_image(api)
    site = api(
        "patch",
        "/api/v1/sites/{site}",
        {"wp_url": wordpress_server.url, "wp_username": "editor", "wp_app_password": WP_PASSWORD},
        200,
    )
    assert (
        site["publish_target"] == "wordpress"
        and site["wp_configured"]
        and "wp_app_password" not in site
    )
    first = api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 200)
    result = first["results"][0]
    assert first["run"]["operation"] == "publishing" and first["run"]["credits_used"] == 0
    assert (result["status"], result["target"], result["remote_id"]) == (
        "succeeded",
        "wordpress",
        "100",
    )
    post = wordpress_server.posts[100]
    content = api("get", f"/api/v1/content/{content_id}")
    assert (post["title"], post["content"], post["status"]) == (
        content["title"],
        content["html"],
        "publish",
    )
    ((media_id, media),) = wordpress_server.media.items()
    assert post["featured_media"] == media_id and media["bytes"].startswith(b"\x89PNG")
    assert media["type"] == "image/png" and "attachment; filename=" in media["disposition"]
    assert media["caption"] == content["images"][0]["caption"]
    again = api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 200)
    assert again["results"][0]["remote_id"] == "100" and len(wordpress_server.posts) == 1
    assert wordpress_server.requests[-1]["path"] == "/wp-json/wp/v2/posts/100"
    with app.app_context():
        publication = db.session.execute(db.select(Publication)).scalar_one()
        assert (publication.status, publication.remote_url) == (
            "published",
            f"{wordpress_server.url}/?p=100",
        )
    assert api("get", f"/api/v1/content/{content_id}")["status"] == "published"


def test_wordpress_wrong_password_fails_the_item_and_records_it(app, api, wordpress_server):
    content_id = api.journey_to_content(n_tasks=1)[0]
    api(
        "patch",
        "/api/v1/sites/{site}",
        {"wp_url": wordpress_server.url, "wp_username": "editor", "wp_app_password": "wrong"},
        200,
    )
    # Every item failed at the target: 502, the run in the problem's details.
    run = api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 502)[
        "error"
    ]["details"]
    error = run["results"][0]["error"]
    assert (
        error["code"] == "publish_failed"
        and "HTTP 401" in error["message"]
        and "wrong" not in error["message"]
    )
    with app.app_context():
        assert db.session.execute(db.select(Publication.status)).scalar_one() == "failed"


def test_webhook_is_signed_with_hmac(app, api, webhook_server):
    content_id = api.journey_to_content(n_tasks=1)[0]
    secret = "whsec-0123456789"
    api(
        "patch",
        "/api/v1/sites/{site}",
        {"webhook_url": webhook_server.url + "/hooks/igny8", "webhook_secret": secret},
        200,
    )
    run = api(
        "post",
        "/api/v1/sites/{site}/content/publish",
        {"content_ids": [content_id], "target": "webhook"},
        200,
    )
    assert (
        run["results"][0]["status"] == "succeeded" and run["results"][0]["remote_id"] == "remote-1"
    )
    request = webhook_server.requests[-1]
    expected = "sha256=" + hmac.new(secret.encode(), request["raw"], hashlib.sha256).hexdigest()
    assert request["headers"]["x-igny8-signature"] == expected
    body = json.loads(request["raw"])
    assert body["event"] == "content.published" and body["content"]["id"] == content_id
    assert secret not in request["raw"].decode()


def test_a_webhook_payload_carries_image_urls_the_receiver_can_fetch(
    app, api, client, webhook_server, monkeypatch
):
    # The run has no request to take a host from: PUBLIC_URL gives it, else a path.
    content_id = content_with_featured_image(api)
    api("patch", "/api/v1/sites/{site}", {"webhook_url": webhook_server.url + "/hooks/igny8"}, 200)

    def published_image_url():
        api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 200)
        body = json.loads(webhook_server.requests[-1]["raw"])
        return body["content"]["images"][0]["url"]

    path = published_image_url()
    assert path.startswith("/api/v1/media/") and "instance" not in path
    assert client.get(path).headers["Content-Type"] == "image/png"
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://api.example.test/igny8")
    external = published_image_url()
    assert external.split("?")[0] == "https://api.example.test/igny8" + path.split("?")[0]


def test_unreachable_webhook_fails_the_item_cleanly(app, api):
    content_id = api.journey_to_content(n_tasks=1)[0]
    api("patch", "/api/v1/sites/{site}", {"webhook_url": "http://127.0.0.1:9/hook"}, 200)
    # Every item failed at the target: 502, the run in the problem's details.
    run = api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 502)[
        "error"
    ]["details"]
    assert run["run"]["status"] == "failed"
    assert run["results"][0]["error"]["code"] == "publish_failed"
    assert "could not reach the target: ConnectError" in run["results"][0]["error"]["message"]


def test_publish_without_a_target_is_422(api):
    content_id = api.journey_to_content(n_tasks=1)[0]
    assert api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 422)


@pytest.mark.parametrize(
    "html, links, expected, placed",
    [
        (
            "<p>Buy trail shoes today.</p>",
            [(["trail shoes"], "/t")],
            '<p>Buy <a href="/t">trail shoes</a> today.</p>',
            1,
        ),
        # never inside an existing link or a heading; case-insensitive, whole words
        (
            '<h2>Trail shoes</h2><p><a href="/x">trail shoes</a> and Trail Shoes.</p>',
            [(["trail shoes"], "/t")],
            '<h2>Trail shoes</h2><p><a href="/x">trail shoes</a> and <a href="/t">Trail Shoes</a>.</p>',
            1,
        ),
        # an anchor used once only, even for another URL; one link per URL
        (
            "<p>socks and socks</p>",
            [(["socks"], "/a"), (["socks"], "/b"), (["and"], "/a")],
            '<p><a href="/a">socks</a> and socks</p>',
            1,
        ),
        # the fallback anchor when the proposed one is absent; not part of a longer word
        (
            "<p>gps watches and a gps watch</p>",
            [(["heart rate", "gps watch"], "/w")],
            '<p>gps watches and a <a href="/w">gps watch</a></p>',
            1,
        ),
    ],
)
def test_insert_links(html, links, expected, placed):
    new, done = insert_links(html, links)
    assert new == expected and len(done) == placed


def test_a_placed_anchor_is_the_text_as_written():
    # The link row must name what the reader sees, not the model's casing of it.
    new, done = insert_links("<p>Choose your shoes.</p>", [(["choose YOUR shoes"], "/s")])
    assert done == [("Choose your shoes", "/s")]
    assert '<a href="/s">Choose your shoes</a>' in new
