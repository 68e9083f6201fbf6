"""POST /sites/{id}/content/optimize, and restoring a kept revision."""

from flask import Blueprint, jsonify

from igny8.api import serialize
from igny8.api.errors import ApiError
from igny8.api.modules import require_module
from igny8.api.runs import execute
from igny8.api.schemas import OptimizeIn
from igny8.api.scoping import get_owned, owned_ids, owned_site
from igny8.api.validation import documented
from igny8.extensions import db
from igny8.models import Content
from igny8.revisions import keep_revision
from igny8.text import word_count


def blueprint() -> Blueprint:
    bp = Blueprint("optimizer", __name__, url_prefix="/api/v1/sites/<int:site_id>")

    @bp.post("/content/optimize")
    @require_module("optimizer")
    @documented(
        "AI: rewrite content for target keywords (the original is kept as a revision)",
        tags=["optimizer"],
        body=OptimizeIn,
    )
    def optimize(site_id, data):
        owned_site(site_id)
        ids = owned_ids(Content, data["content_ids"], site_id)
        return execute(
            "optimization",
            [{"content_id": i, "keywords": data.get("keywords")} for i in ids],
            site_id=site_id,
        )

    @bp.post("/content/<int:content_id>/revisions/<int:revision_id>/restore")
    @require_module("optimizer")
    @documented("Restore a kept revision (the current version is kept too)", tags=["optimizer"])
    def restore(site_id, content_id, revision_id):
        content = get_owned(Content, content_id)
        if content.site_id != site_id:
            raise ApiError(404, f"Content {content_id} not found")
        revision = next((r for r in content.revisions if r.id == revision_id), None)
        if revision is None:
            raise ApiError(404, f"revision {revision_id} not found")
        keep_revision(content, f"before restoring revision {revision_id}")
        content.title, content.html = revision.title, revision.html
        content.word_count = word_count(revision.html)
        db.session.commit()
        return jsonify(serialize.content(content))

    return bp
