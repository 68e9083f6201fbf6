"""POST /sites/{id}/clusters/ideas and GET /sites/{id}/ideas."""

from flask import jsonify

from igny8.plugin import (
    Cluster,
    ContentIdea,
    PageQuery,
    documented,
    execute_on,
    ids_schema,
    on_site,
    paginate,
)

ClusterIdsIn = ids_schema("ClusterIdsIn", "cluster_ids")


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


def routes(bp):
    @bp.post("/clusters/ideas")
    @documented("AI: 3-7 article ideas per cluster, with outlines", body=ClusterIdsIn)
    def generate_ideas(site_id, data):
        return execute_on("idea_generation", Cluster, data["cluster_ids"], site_id)

    @bp.get("/ideas")
    @documented("Ideas with their outlines", query=PageQuery)
    def list_ideas(site_id, args):
        return jsonify(paginate(on_site(ContentIdea, site_id), idea_json))
