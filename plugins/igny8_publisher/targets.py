"""Where content goes: WordPress (REST API, application password) or a webhook (HMAC-signed)."""

import hashlib
import hmac
import json
import os

import httpx

from igny8.plugin import BlockedAddress, content_json, outbound_client

SIGNATURE_HEADER = "X-Igny8-Signature"
TIMEOUT = 30.0


class PublishError(Exception):
    pass


def signature(secret: str, body: bytes) -> str:
    """The webhook signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the site's secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _client(**kwargs) -> httpx.Client:
    """Public hosts only, each redirect vetted (igny8.outbound), plus what the operator allows."""
    return outbound_client(timeout=TIMEOUT, **kwargs)


def _check(response: httpx.Response, what: str) -> dict:
    """The answer's JSON object; its status code, never its body, in any error."""
    if response.status_code >= 300:
        raise PublishError(f"{what} failed with HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise PublishError(f"{what}: the server did not answer with a JSON object")
    return answer


def to_wordpress(site, content, publication) -> tuple[str, str]:
    """Create the post, or update the one published before; upload and set the featured
    image. Returns (remote id, url)."""
    api = site.wp_url.rstrip("/") + "/wp-json/wp/v2"
    auth = (site.wp_username, site.wp_app_password)
    payload = {"title": content.title, "content": content.html, "status": "publish"}
    if content.meta_description:
        payload["excerpt"] = content.meta_description
    with _client(auth=auth) as client:
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
    return _remote(post, "link")


def to_webhook(site, content, publication) -> tuple[str | None, str | None]:
    body = json.dumps(
        {
            "event": "content.published",
            "site": {"id": site.id, "url": site.url},
            "content": content_json(content),
            "remote_id": publication.remote_id if publication else None,
        },
        sort_keys=True,
    ).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "igny8-publisher"}
    if site.webhook_secret:
        headers[SIGNATURE_HEADER] = signature(site.webhook_secret, body)
    with _client() as client:
        answer = _check(client.post(site.webhook_url, content=body, headers=headers), "the webhook")
    return _remote(answer, "url")


def _remote(answer: dict, url_field: str) -> tuple[str | None, str | None]:
    """The post's id and address as the target reported them: an id is a short string or
    number, an address an http(s) URL; anything else is not kept."""
    remote_id, url = answer.get("id"), answer.get(url_field)
    if isinstance(remote_id, bool) or not isinstance(remote_id, str | int):
        remote_id = None
    elif len(str(remote_id)) > 120:
        remote_id = None
    if not (isinstance(url, str) and len(url) <= 1000 and url.startswith(("http://", "https://"))):
        url = None
    return (str(remote_id) if remote_id is not None else None), url


def _reachable(publish):
    """Transport failures (refused, timed out, bad TLS) are publishing failures, not crashes."""

    def wrapper(site, content, publication):
        try:
            return publish(site, content, publication)
        except BlockedAddress as exc:
            raise PublishError(f"refused: {exc}") from None
        except httpx.HTTPError as exc:
            raise PublishError(f"could not reach the target: {type(exc).__name__}") from None

    return wrapper


TARGETS = {"wordpress": _reachable(to_wordpress), "webhook": _reachable(to_webhook)}
