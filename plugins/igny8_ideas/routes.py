"""POST /sites/{id}/clusters/ideas and GET /sites/{id}/ideas."""

from flask import jsonify
from marshmallow import Schema, fields, validate

from igny8.plugin import (
    Cluster,
    ContentIdea,
    Strict,
    documented,
    execute_on,
    filtered,
    id_field,
    ids_schema,
    item_routes,
    list_query,
    on_site,
    page_of,
    paginate,
)

ClusterIdsIn = ids_schema("ClusterIdsIn", "cluster_ids")
IDEA_STATUSES = ("new", "queued", "archived")
IdeaQuery = list_query(
    "IdeaQuery",
    statuses=IDEA_STATUSES,
    sort=("id", "title", "target_word_count", "created_at"),
    search=True,
    cluster_id=id_field(),
)


def idea_json(i):
    return {
        "id": i.id,
        "cluster_id": i.cluster_id,
        "title": i.title,
        "description": i.description,
        "content_structure": i.content_structure,
        "outline": i.outline,
        "primary_keyword": i.primary_keyword,
        "covered_keywords": i.covered_keywords,
        "target_word_count": i.target_word_count,
        "status": i.status,
    }


class SectionOut(Schema):
    heading = fields.String(required=True)
    points = fields.List(fields.String(), required=True)


class SectionIn(Strict):
    """One H2 section of an outline, as the writer's prompt reads it."""

    heading = fields.String(required=True, validate=validate.Length(min=1, max=300))
    points = fields.List(
        fields.String(validate=validate.Length(max=1000)),
        load_default=list,
        validate=validate.Length(max=50),
    )


class IdeaOut(Schema):
    id = fields.Integer(required=True)
    cluster_id = fields.Integer(required=True, allow_none=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    content_structure = fields.String(required=True)
    outline = fields.List(fields.Nested(SectionOut), required=True)
    primary_keyword = fields.String(required=True, allow_none=True)
    covered_keywords = fields.List(fields.String(), required=True)
    target_word_count = fields.Integer(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))


class IdeaPatch(Strict):
    title = fields.String(validate=validate.Length(min=1, max=300))
    description = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    primary_keyword = fields.String(allow_none=True, validate=validate.Length(max=255))
    target_word_count = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    status = fields.String(validate=validate.OneOf(IDEA_STATUSES))
    outline = fields.List(fields.Nested(SectionIn), validate=validate.Length(max=200))


def routes(bp):
    item_routes(
        bp,
        "ideas",
        ContentIdea,
        serialize=idea_json,
        shape=IdeaOut,
        tags=["ideas"],
        patch=IdeaPatch,
    )

    @bp.post("/clusters/ideas")
    @documented("AI: 3-7 article ideas per cluster, with outlines", body=ClusterIdsIn, run=True)
    def generate_ideas(site_id, data):
        return execute_on("idea_generation", Cluster, data["cluster_ids"], site_id)

    @bp.get("/ideas")
    @documented(
        "Ideas with their outlines: filter by cluster or status, search titles with q, sort",
        query=IdeaQuery,
        response=page_of(IdeaOut),
    )
    def list_ideas(site_id, args):
        query = filtered(
            on_site(ContentIdea, site_id), ContentIdea, args, ("cluster_id", "status"), "title"
        )
        return jsonify(paginate(query, idea_json))
