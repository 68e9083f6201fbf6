"""Sites, keywords and content: the tenant's own data (no AI)."""

import time

from flask import jsonify, send_file
from sqlalchemy import func, select

from .. import accounts, media
from ..extensions import db
from ..models import Cluster, Content, ContentRevision, Image, Keyword, Site
from ..revisions import keep_revision
from ..text import normalise_keyword, word_count
from . import serialize
from .auth import current_account, public, role
from .errors import ApiError
from .pagination import filtered, paginate
from .resources import item_routes, refuse_if_in_use
from .schemas import (
    ContentPatch,
    ContentQuery,
    KeywordPatch,
    KeywordQuery,
    KeywordsIn,
    MediaQuery,
    PageQuery,
    SiteIn,
    SiteUpdateIn,
    too_many_keywords,
)
from .scoping import get_on_site, get_owned, on_site, owned, owned_site
from .shapes import (
    IMAGE,
    ContentOut,
    ContentSummaryOut,
    KeywordOut,
    KeywordsAddedOut,
    RevisionOut,
    RevisionSummaryOut,
    SiteOut,
    page_of,
)
from .validation import documented

SITE_FIELDS = (
    "name",
    "url",
    "wp_url",
    "wp_username",
    "wp_app_password",
    "webhook_url",
    "webhook_secret",
)


def update_keyword(keyword: Keyword, data: dict) -> None:
    if "keyword" in data:
        text = normalise_keyword(data["keyword"])
        taken = db.session.execute(
            on_site(Keyword, keyword.site_id).where(
                Keyword.keyword == text, Keyword.id != keyword.id
            )
        ).first()
        if not text or taken:
            raise ApiError(409, f"the site already has the keyword {text!r}", code="conflict")
        keyword.keyword = text
    if data.get("cluster_id") is not None:
        found = db.session.execute(
            on_site(Cluster, keyword.site_id).where(Cluster.id == data["cluster_id"])
        ).first()
        if found is None:
            raise ApiError(404, f"cluster {data['cluster_id']} not found")
    for field in ("volume", "difficulty", "status", "cluster_id"):
        if field in data:
            setattr(keyword, field, data[field])


def update_content(content: Content, data: dict) -> None:
    """An edit of the title or the HTML keeps the previous version as a revision."""
    if any(data.get(f, getattr(content, f)) != getattr(content, f) for f in ("title", "html")):
        keep_revision(content, "before an edit")
    for field, value in data.items():
        setattr(content, field, value)
    if "html" in data:
        content.word_count = word_count(content.html)


def register(bp):
    @bp.get("/sites")
    @documented("List sites", tags=["sites"], query=PageQuery, response=page_of(SiteOut))
    def list_sites(args):
        return jsonify(
            paginate(owned(Site).where(Site.is_active).order_by(Site.id), serialize.site)
        )

    @bp.post("/sites")
    @documented("Create a site", tags=["sites"], body=SiteIn, status=201, response=SiteOut)
    def create_site(data):
        account = current_account()
        accounts.lock(account.id)  # two requests at once must not both pass the limit
        count = db.session.execute(
            select(func.count(Site.id)).where(Site.account_id == account.id, Site.is_active)
        ).scalar_one()
        if count >= account.plan.max_sites:
            raise ApiError(
                403, f"the {account.plan.name} plan allows {account.plan.max_sites} site(s)"
            )
        site = Site(account_id=account.id, **{k: data.get(k) for k in SITE_FIELDS})
        db.session.add(site)
        db.session.commit()
        return jsonify(serialize.site(site)), 201

    @bp.get("/sites/<int:site_id>")
    @documented("Get a site", tags=["sites"], response=SiteOut)
    def get_site(site_id):
        return jsonify(serialize.site(owned_site(site_id)))

    @bp.patch("/sites/<int:site_id>")
    @documented(
        "Change a site (its WordPress or webhook target too; secrets are write-only)",
        tags=["sites"],
        body=SiteUpdateIn,
        response=SiteOut,
    )
    def update_site(site_id, data):
        site = owned_site(site_id)
        for field, value in data.items():
            setattr(site, field, value)
        db.session.commit()
        return jsonify(serialize.site(site))

    @bp.delete("/sites/<int:site_id>")
    @role("owner")
    @documented(
        "Delete a site: it is archived (its runs and charges keep pointing at it) and gone "
        "from the API; 409 while a run of it is queued or running",
        tags=["sites"],
        status=204,
    )
    def delete_site(site_id):
        site = owned_site(site_id)
        refuse_if_in_use(site.id, None, "site")
        site.is_active = False
        db.session.commit()
        return "", 204

    @bp.get("/sites/<int:site_id>/keywords")
    @documented(
        "List a site's keywords: filter by status or cluster, search with q, sort by a field "
        "(-field: descending)",
        tags=["keywords"],
        query=KeywordQuery,
        response=page_of(KeywordOut),
    )
    def list_keywords(site_id, args):
        owned_site(site_id)
        if "q" in args:  # keywords are kept normalised: so is what is looked for
            args = {**args, "q": normalise_keyword(args["q"])}
        query = filtered(
            on_site(Keyword, site_id), Keyword, args, ("status", "cluster_id"), search="keyword"
        )
        return jsonify(paginate(query, serialize.keyword))

    @bp.post("/sites/<int:site_id>/keywords")
    @documented(
        "Add keywords (strings or objects); duplicates are skipped",
        tags=["keywords"],
        body=KeywordsIn,
        status=201,
        response=KeywordsAddedOut,
    )
    def add_keywords(site_id, data):
        site = owned_site(site_id)
        account = current_account()
        accounts.lock(account.id)  # counted and added as one, whatever else is running
        existing = set(
            db.session.execute(select(Keyword.keyword).where(Keyword.site_id == site.id)).scalars()
        )
        created, skipped = [], []
        for item in data["keywords"]:
            text = normalise_keyword(item["keyword"])
            if not text or text in existing:
                skipped.append(item["keyword"])
                continue
            existing.add(text)
            created.append(
                Keyword(
                    account_id=account.id,
                    site_id=site.id,
                    keyword=text,
                    volume=item.get("volume"),
                    difficulty=item.get("difficulty"),
                )
            )
        if len(existing) > account.plan.max_keywords:
            raise too_many_keywords(account.plan, would_have=len(existing))
        db.session.add_all(created)
        db.session.commit()
        return jsonify(
            {
                "created": len(created),
                "skipped": skipped,
                "items": [serialize.keyword(k) for k in created],
            }
        ), 201

    item_routes(
        bp,
        "keywords",
        Keyword,
        serialize=serialize.keyword,
        shape=KeywordOut,
        tags=["keywords"],
        patch=KeywordPatch,
        update=update_keyword,
        site_prefix="/sites/<int:site_id>",
    )
    item_routes(
        bp,
        "content",
        Content,
        serialize=serialize.content,
        shape=ContentOut,
        tags=["content"],
        patch=ContentPatch,
        update=update_content,
        site_prefix="/sites/<int:site_id>",
    )

    @bp.get("/sites/<int:site_id>/content/<int:content_id>/revisions")
    @documented(
        "A content's earlier versions, newest first (restore one with .../restore)",
        tags=["content"],
        query=PageQuery,
        response=page_of(RevisionSummaryOut),
    )
    def list_revisions(site_id, content_id, args):
        content = get_on_site(Content, site_id, content_id, "content")
        query = (
            select(ContentRevision)
            .where(ContentRevision.content_id == content.id)
            .order_by(ContentRevision.id.desc())
        )
        return jsonify(paginate(query, lambda r: serialize.revision(r, with_html=False)))

    @bp.get("/sites/<int:site_id>/content/<int:content_id>/revisions/<int:revision_id>")
    @documented(
        "One earlier version of a content, with its HTML", tags=["content"], response=RevisionOut
    )
    def get_revision(site_id, content_id, revision_id):
        content = get_on_site(Content, site_id, content_id, "content")
        revision = db.session.execute(
            select(ContentRevision).where(
                ContentRevision.id == revision_id, ContentRevision.content_id == content.id
            )
        ).scalar_one_or_none()
        if revision is None:
            raise ApiError(404, f"revision {revision_id} not found")
        return jsonify(serialize.revision(revision))

    @bp.get("/sites/<int:site_id>/content")
    @documented(
        "List a site's content, with images and captions",
        tags=["content"],
        query=PageQuery,
        response=page_of(ContentSummaryOut),
    )
    def list_content(site_id, args):
        owned_site(site_id)
        return jsonify(
            paginate(
                owned(Content).where(Content.site_id == site_id).order_by(Content.id),
                lambda c: serialize.content(c, with_html=False),
            )
        )

    @bp.get("/content/<int:content_id>")
    @documented(
        "Get content with its HTML, images and captions (figures=true: the HTML with its "
        "images placed)",
        tags=["content"],
        query=ContentQuery,
        response=ContentOut,
    )
    def get_content(content_id, args):
        content = get_owned(Content, content_id)
        return jsonify(serialize.content(content, figures=args["figures"]))

    @bp.get("/media/images/<int:image_id>")
    @public
    @documented(
        "An image the app keeps, at the signed URL an image's url gives (no token needed; "
        "404 once it expires)",
        tags=["content"],
        query=MediaQuery,
        public=True,
        media=IMAGE,
    )
    def media_image(image_id, args):
        image = db.session.get(Image, image_id)
        path = media.file_of(image) if image is not None else None
        if path is None or not media.verified(image_id, args["expires"], args["signature"]):
            raise ApiError(404, f"image {image_id} not found")
        response = send_file(path, mimetype="image/png", conditional=True, max_age=0)
        left = max(int(args["expires"]) - int(time.time()), 0)
        response.headers["Cache-Control"] = f"private, max-age={left}"
        return response
