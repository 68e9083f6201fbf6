"""Where content goes: WordPress (REST API, application password) or a webhook (HMAC-signed)."""

import hashlib
import hmac
import json
import os

import httpx

from igny8.api import serialize

SIGNATURE_HEADER = "X-Igny8-Signature"
TIMEOUT = 30.0


class PublishError(Exception):
    pass


def signature(secret: str, body: bytes) -> str:
    """The webhook signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the site's secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _check(response: httpx.Response, what: str) -> dict:
    if response.status_code >= 400:
        try:
            message = response.json().get("message") or response.text[:200]
        except ValueError:
            message = response.text[:200]
        raise PublishError(f"{what} failed with HTTP {response.status_code}: {message}")
    try:
        return response.json()
    except ValueError:
        raise PublishError(f"{what}: the server did not answer with JSON") from None


def to_wordpress(site, content, publication) -> tuple[str, str]:
    """Create the post, or update the one published before; upload and set the featured
    image. Returns (remote id, url)."""
    api = site.wp_url.rstrip("/") + "/wp-json/wp/v2"
    auth = (site.wp_username, site.wp_app_password)
    payload = {"title": content.title, "content": content.html, "status": "publish"}
    if content.meta_description:
        payload["excerpt"] = content.meta_description
    with httpx.Client(timeout=TIMEOUT, auth=auth) as client:
        featured = next(
            (i for i in content.images if i.kind == "featured" and i.status == "generated"), None
        )
        if featured is not None and featured.file_path and os.path.exists(featured.file_path):
            with open(featured.file_path, "rb") as f:
                media = _check(
                    client.post(
                        f"{api}/media",
                        content=f.read(),
                        headers={
                            "Content-Type": "image/png",
                            "Content-Disposition": f'attachment; filename="{os.path.basename(featured.file_path)}"',
                        },
                    ),
                    "uploading the featured image",
                )
            payload["featured_media"] = media["id"]
            if featured.alt or featured.caption:
                client.post(
                    f"{api}/media/{media['id']}",
                    json={"alt_text": featured.alt or "", "caption": featured.caption or ""},
                )
        if publication is not None and publication.remote_id:
            post = _check(
                client.post(f"{api}/posts/{publication.remote_id}", json=payload),
                "updating the post",
            )
        else:
            post = _check(client.post(f"{api}/posts", json=payload), "creating the post")
    return str(post["id"]), post.get("link")


def to_webhook(site, content, publication) -> tuple[str | None, str | None]:
    body = json.dumps(
        {
            "event": "content.published",
            "site": {"id": site.id, "url": site.url},
            "content": serialize.content(content),
            "remote_id": publication.remote_id if publication else None,
        },
        sort_keys=True,
    ).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "igny8-publisher"}
    if site.webhook_secret:
        headers[SIGNATURE_HEADER] = signature(site.webhook_secret, body)
    with httpx.Client(timeout=TIMEOUT) as client:
        answer = _check(client.post(site.webhook_url, content=body, headers=headers), "the webhook")
    return (str(answer["id"]) if answer.get("id") is not None else None), answer.get("url")


def _reachable(publish):
    """Transport failures (refused, timed out, bad TLS) are publishing failures, not crashes."""

    def wrapper(site, content, publication):
        try:
            return publish(site, content, publication)
        except httpx.HTTPError as exc:
            raise PublishError(f"could not reach the target: {type(exc).__name__}") from None

    return wrapper


TARGETS = {"wordpress": _reachable(to_wordpress), "webhook": _reachable(to_webhook)}
