"""POST /sites/{id}/keywords/cluster and GET /sites/{id}/clusters."""

from flask import jsonify

from igny8.plugin import (
    ApiError,
    Cluster,
    Keyword,
    KeywordIdsIn,
    PageQuery,
    documented,
    execute,
    keyword_json,
    on_site,
    owned_ids,
    paginate,
)

from .operation import MIN_KEYWORDS, unclustered


def cluster_json(c, keywords=None):
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "status": c.status,
        "keywords": [keyword_json(k) for k in (keywords if keywords is not None else c.keywords)],
    }


def routes(bp):
    @bp.post("/keywords/cluster")
    @documented(
        "AI: group keywords into clusters (all unclustered keywords when keyword_ids is omitted)",
        body=KeywordIdsIn,
    )
    def cluster_keywords(site_id, data):
        if data.get("keyword_ids"):
            ids = owned_ids(Keyword, data["keyword_ids"], site_id)
        else:
            ids = unclustered(site_id)
        if not ids:
            raise ApiError(422, "this site has no unclustered keywords")
        if len(ids) < MIN_KEYWORDS:
            raise ApiError(
                422,
                f"a cluster needs at least {MIN_KEYWORDS} keywords; "
                f"{len(ids)} unclustered {'keyword was' if len(ids) == 1 else 'keywords were'} given",
            )
        return execute("clustering", ids, site_id=site_id)

    @bp.get("/clusters")
    @documented("Clusters with their keywords", query=PageQuery)
    def list_clusters(site_id, args):
        return jsonify(paginate(on_site(Cluster, site_id), cluster_json))
