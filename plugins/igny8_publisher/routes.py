"""POST /sites/{id}/content/publish (no AI, no credits)."""

from flask import Blueprint
from sqlalchemy import select

from igny8.ai.engine import ItemError
from igny8.api.errors import ApiError
from igny8.api.modules import require_module
from igny8.api.runs import execute
from igny8.api.schemas import PublishIn
from igny8.api.scoping import owned_ids, owned_site
from igny8.api.validation import documented
from igny8.extensions import db
from igny8.models import Content, Publication, Site
from igny8.timeutil import utcnow

from .targets import TARGETS, PublishError


def _publication(ctx, item) -> tuple[Site, Content, Publication]:
    """The item's site, content and publication row (a new one the first time)."""
    site = db.session.get(Site, ctx.site_id)
    content = ctx.owned(Content, item["content_id"])
    target = item.get("target") or site.publish_target
    if target not in TARGETS:
        raise ItemError("bad_request", "the site has no publishing target")
    publication = db.session.execute(
        select(Publication).where(
            Publication.content_id == content.id, Publication.target == target
        )
    ).scalar_one_or_none()
    if publication is None:
        publication = Publication(
            account_id=content.account_id, site_id=site.id, content_id=content.id, target=target
        )
        db.session.add(publication)
    return site, content, publication


def publish_item(ctx, item) -> dict:
    """Publish one content to a target (item: {"content_id", "target"}; the site's own target
    when none is given). Publishing again updates the same remote post."""
    site, content, publication = _publication(ctx, item)
    target = publication.target
    try:
        remote_id, url = TARGETS[target](site, content, publication)
    except (PublishError, OSError) as exc:
        raise ItemError("publish_failed", str(exc)) from None
    publication.remote_id = remote_id or publication.remote_id
    publication.remote_url = url or publication.remote_url
    publication.status, publication.error, publication.published_at = "published", None, utcnow()
    content.status = "published"
    db.session.flush()
    return {
        "content_id": content.id,
        "target": target,
        "remote_id": publication.remote_id,
        "remote_url": publication.remote_url,
    }


def publish_failed(ctx, item, error) -> None:
    """A failed publication is recorded on its row (published again on the next run)."""
    if error["code"] != "publish_failed":
        return
    _site, _content, publication = _publication(ctx, item)
    publication.status, publication.error = "failed", error["message"]


def blueprint() -> Blueprint:
    bp = Blueprint("publisher", __name__, url_prefix="/api/v1/sites/<int:site_id>")

    @bp.post("/content/publish")
    @require_module("publisher")
    @documented(
        "Publish content to the site's WordPress or webhook target (no AI, no credits; "
        "publishing again updates the same post)",
        tags=["publisher"],
        body=PublishIn,
    )
    def publish(site_id, data):
        site = owned_site(site_id)
        ids = owned_ids(Content, data["content_ids"], site_id)
        target = data.get("target") or site.publish_target
        if target is None:
            raise ApiError(
                422,
                "this site has no publishing target: set wp_url, wp_username and "
                "wp_app_password, or webhook_url",
            )
        if target == "wordpress" and not (
            site.wp_url and site.wp_username and site.wp_app_password
        ):
            raise ApiError(422, "WordPress is not configured for this site")
        if target == "webhook" and not site.webhook_url:
            raise ApiError(422, "no webhook_url is configured for this site")
        return execute(
            "publishing", [{"content_id": i, "target": target} for i in ids], site_id=site_id
        )

    return bp
