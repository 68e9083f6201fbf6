"""POST /sites/{id}/content/publish (no AI, no credits)."""

from flask import jsonify
from marshmallow import Schema, fields, validate
from sqlalchemy import exists, select

from igny8.plugin import (
    ApiError,
    Content,
    ContentIdsIn,
    ItemError,
    PageQuery,
    Publication,
    Site,
    db,
    documented,
    execute,
    on_site,
    owned_ids,
    owned_site,
    page_of,
    paginate,
    timestamp,
    utcnow,
)

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


class PublishIn(ContentIdsIn):
    target = fields.String(load_default=None, validate=validate.OneOf(tuple(TARGETS)))


def unpublished(site) -> list[dict]:
    """The site's content not published to its own target yet (none without a target)."""
    target = site.publish_target
    if target is None:
        return []
    ids = db.session.execute(
        select(Content.id)
        .where(
            Content.site_id == site.id,
            ~exists().where(
                (Publication.content_id == Content.id) & (Publication.status == "published")
            ),
        )
        .order_by(Content.id)
    ).scalars()
    return [{"content_id": i, "target": target} for i in ids]


class PublicationQuery(PageQuery):
    content_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    status = fields.String(validate=validate.OneOf(("pending", "published", "failed")))


class PublicationOut(Schema):
    id = fields.Integer(required=True)
    content_id = fields.Integer(required=True)
    target = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(("pending", "published", "failed"))
    )
    remote_id = fields.String(required=True, allow_none=True)
    remote_url = fields.String(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    published_at = fields.String(required=True, allow_none=True)
    updated_at = fields.String(required=True, allow_none=True)


def publication_json(p):
    return {
        "id": p.id,
        "content_id": p.content_id,
        "target": p.target,
        "status": p.status,
        "remote_id": p.remote_id,
        "remote_url": p.remote_url,
        "error": p.error,
        "published_at": timestamp(p.published_at),
        "updated_at": timestamp(p.updated_at),
    }


def routes(bp):
    @bp.get("/publications")
    @documented(
        "Publications of the site's content: where each went, its status and error",
        query=PublicationQuery,
        response=page_of(PublicationOut),
    )
    def list_publications(site_id, args):
        query = on_site(Publication, site_id)
        for field in ("content_id", "status"):
            if field in args:
                query = query.where(getattr(Publication, field) == args[field])
        return jsonify(paginate(query, publication_json))

    @bp.post("/content/publish")
    @documented(
        "Publish content to the site's WordPress or webhook target (no AI, no credits; "
        "publishing again updates the same post)",
        body=PublishIn,
        run=True,
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
                field="target",
            )
        if target == "wordpress" and not (
            site.wp_url and site.wp_username and site.wp_app_password
        ):
            raise ApiError(422, "WordPress is not configured for this site", field="target")
        if target == "webhook" and not site.webhook_url:
            raise ApiError(422, "no webhook_url is configured for this site", field="target")
        return execute(
            "publishing", [{"content_id": i, "target": target} for i in ids], site_id=site_id
        )
