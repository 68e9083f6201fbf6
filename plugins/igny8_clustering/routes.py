"""POST /sites/{id}/keywords/cluster and GET /sites/{id}/clusters."""

from flask import Blueprint, jsonify

from igny8.api import serialize
from igny8.api.errors import ApiError
from igny8.api.modules import require_module
from igny8.api.pagination import paginate
from igny8.api.runs import execute
from igny8.api.schemas import KeywordIdsIn, PageQuery
from igny8.api.scoping import owned, owned_ids, owned_site
from igny8.api.validation import documented
from igny8.extensions import db
from igny8.models import Cluster, Keyword

from .operation import MIN_KEYWORDS


def blueprint() -> Blueprint:
    bp = Blueprint("clustering", __name__, url_prefix="/api/v1/sites/<int:site_id>")

    @bp.post("/keywords/cluster")
    @require_module("clustering")
    @documented(
        "AI: group keywords into clusters (all unclustered keywords when keyword_ids is omitted)",
        tags=["clustering"],
        body=KeywordIdsIn,
    )
    def cluster_keywords(site_id, data):
        owned_site(site_id)
        if data.get("keyword_ids"):
            ids = owned_ids(Keyword, data["keyword_ids"], site_id)
        else:
            ids = list(
                db.session.execute(
                    owned(Keyword)
                    .with_only_columns(Keyword.id)
                    .where(Keyword.site_id == site_id, Keyword.cluster_id.is_(None))
                    .order_by(Keyword.id)
                ).scalars()
            )
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
    @require_module("clustering")
    @documented("Clusters with their keywords", tags=["clustering"], query=PageQuery)
    def list_clusters(site_id, args):
        owned_site(site_id)
        query = owned(Cluster).where(Cluster.site_id == site_id).order_by(Cluster.id)
        return jsonify(paginate(query, serialize.cluster))

    return bp


__all__ = ["blueprint"]
