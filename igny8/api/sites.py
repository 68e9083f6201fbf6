"""Sites, keywords and content: the tenant's own data (no AI)."""

from flask import jsonify
from sqlalchemy import func, select

from .. import accounts
from ..extensions import db
from ..models import Content, Keyword, Site
from ..text import normalise_keyword
from . import serialize
from .auth import current_account
from .errors import ApiError
from .pagination import paginate
from .schemas import KeywordsIn, PageQuery, SiteIn, SiteUpdateIn, too_many_keywords
from .scoping import get_owned, owned, owned_site
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


def register(bp):
    @bp.get("/sites")
    @documented("List sites", tags=["sites"], query=PageQuery)
    def list_sites(args):
        return jsonify(paginate(owned(Site).order_by(Site.id), serialize.site))

    @bp.post("/sites")
    @documented("Create a site", tags=["sites"], body=SiteIn, status=201)
    def create_site(data):
        account = current_account()
        accounts.lock(account.id)  # two requests at once must not both pass the limit
        count = db.session.execute(
            select(func.count(Site.id)).where(Site.account_id == account.id)
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
    @documented("Get a site", tags=["sites"])
    def get_site(site_id):
        return jsonify(serialize.site(owned_site(site_id)))

    @bp.patch("/sites/<int:site_id>")
    @documented(
        "Change a site (its WordPress or webhook target too; secrets are write-only)",
        tags=["sites"],
        body=SiteUpdateIn,
    )
    def update_site(site_id, data):
        site = owned_site(site_id)
        for field, value in data.items():
            setattr(site, field, value)
        db.session.commit()
        return jsonify(serialize.site(site))

    @bp.get("/sites/<int:site_id>/keywords")
    @documented("List a site's keywords", tags=["keywords"], query=PageQuery)
    def list_keywords(site_id, args):
        owned_site(site_id)
        return jsonify(
            paginate(
                owned(Keyword).where(Keyword.site_id == site_id).order_by(Keyword.id),
                serialize.keyword,
            )
        )

    @bp.post("/sites/<int:site_id>/keywords")
    @documented(
        "Add keywords (strings or objects); duplicates are skipped",
        tags=["keywords"],
        body=KeywordsIn,
        status=201,
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

    @bp.get("/sites/<int:site_id>/content")
    @documented(
        "List a site's content, with images and captions", tags=["content"], query=PageQuery
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
    @documented("Get content with its HTML, images and captions", tags=["content"])
    def get_content(content_id):
        return jsonify(serialize.content(get_owned(Content, content_id)))
