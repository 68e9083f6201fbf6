"""Images the app keeps (MEDIA_DIR) are served by it at signed, short-lived URLs, so that a
browser's <img src> works without a token (as S3's presigned URLs do) and nobody can make
the URL of an image that is not theirs. A URL lasts until the end of the MEDIA_URL_SECONDS
window after the one it was made in, so the same image has the same URL for a while and
browsers can cache it. No response ever carries the file's path on the server."""

import hashlib
import hmac
import html
import os
import re
import time
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

ROUTE = "api.media_image"


def _signature(image_id: int, expires: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"image:{image_id}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def expiry(now: float | None = None) -> int:
    window = int(current_app.config["MEDIA_URL_SECONDS"])
    now = int(now if now is not None else time.time())
    return (now // window + 2) * window


def image_url(image) -> str | None:
    """Where a client fetches the image: the app's signed URL for a file it keeps, else
    the provider's own URL (if it gave one), else None (not generated yet)."""
    if image.file_path:
        expires = expiry()
        values = {"image_id": image.id, "expires": expires}
        values["signature"] = _signature(image.id, expires)
        if has_request_context():
            return url_for(ROUTE, **values, _external=True)
        return _outside_url(values)
    return image.url


def _outside_url(values: dict) -> str:
    # A run (a webhook publication) has no request to take a host from: PUBLIC_URL, or a
    # path on the app.
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc or "localhost", script_name=public.path or "/", url_scheme=public.scheme
    )
    return adapter.build(ROUTE, values, force_external=bool(public.netloc))


def verified(image_id: int, expires: str, signature: str) -> bool:
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < time.time():
        return False
    return hmac.compare_digest(_signature(image_id, expires_at), signature or "")


def file_of(image) -> str | None:
    """The image's file, if it is inside MEDIA_DIR and exists (never a path elsewhere)."""
    if not image.file_path:
        return None
    root = os.path.realpath(current_app.config["MEDIA_DIR"])
    path = os.path.realpath(image.file_path)
    if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
        return None
    return path


def _figure(image) -> str:
    src = image_url(image)
    if not src:
        return ""
    caption = f"<figcaption>{html.escape(image.caption)}</figcaption>" if image.caption else ""
    alt = html.escape(image.alt or "", quote=True)
    return f'<figure><img src="{html.escape(src, quote=True)}" alt="{alt}">{caption}</figure>'


_PARAGRAPH_END = re.compile(r"</p\s*>", re.IGNORECASE)


def with_figures(article_html: str, images) -> str:
    """The article with its images placed: the featured one first, each in-article image
    after the paragraph its position names (1: after the first), past the end at the end.
    Images not generated yet are left out."""
    featured = [i for i in images if i.kind == "featured"]
    inline = sorted((i for i in images if i.kind != "featured"), key=lambda i: i.position)
    ends = [m.end() for m in _PARAGRAPH_END.finditer(article_html)]
    pieces, start = [], 0
    for image in inline:
        at = ends[min(max(image.position, 1), len(ends)) - 1] if ends else len(article_html)
        at = max(at, start)
        pieces.append(article_html[start:at])
        pieces.append(_figure(image))
        start = at
    pieces.append(article_html[start:])
    return "".join(_figure(i) for i in featured) + "".join(pieces)
