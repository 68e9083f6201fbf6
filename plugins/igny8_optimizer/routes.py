"""POST /sites/{id}/content/optimize, and restoring a kept revision."""

from flask import jsonify
from marshmallow import fields, validate

from igny8.plugin import (
    ApiError,
    Content,
    ContentIdsIn,
    ContentOut,
    content_json,
    db,
    documented,
    execute,
    get_owned,
    keep_revision,
    owned_ids,
    word_count,
)


class OptimizeIn(ContentIdsIn):
    keywords = fields.List(
        fields.String(validate=validate.Length(min=1, max=255)),
        load_default=None,
        validate=validate.Length(min=1, max=20),
    )


def routes(bp):
    @bp.post("/content/optimize")
    @documented(
        "AI: rewrite content for target keywords (the original is kept as a revision)",
        body=OptimizeIn,
        run=True,
    )
    def optimize(site_id, data):
        ids = owned_ids(Content, data["content_ids"], site_id)
        return execute(
            "optimization",
            [{"content_id": i, "keywords": data.get("keywords")} for i in ids],
            site_id=site_id,
        )

    @bp.post("/content/<int:content_id>/revisions/<int:revision_id>/restore")
    @documented("Restore a kept revision (the current version is kept too)", response=ContentOut)
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
        return jsonify(content_json(content))
