"""POST /sites/{id}/clusters/ideas and GET /sites/{id}/ideas."""

from flask import Blueprint, jsonify

from igny8.api import serialize
from igny8.api.modules import require_module
from igny8.api.pagination import paginate
from igny8.api.runs import execute
from igny8.api.schemas import ClusterIdsIn, PageQuery
from igny8.api.scoping import owned, owned_ids, owned_site
from igny8.api.validation import documented
from igny8.models import Cluster, ContentIdea


def blueprint() -> Blueprint:
    bp = Blueprint("ideas", __name__, url_prefix="/api/v1/sites/<int:site_id>")

    @bp.post("/clusters/ideas")
    @require_module("ideas")
    @documented(
        "AI: 3-7 article ideas per cluster, with outlines", tags=["ideas"], body=ClusterIdsIn
    )
    def generate_ideas(site_id, data):
        owned_site(site_id)
        ids = owned_ids(Cluster, data["cluster_ids"], site_id)
        return execute("idea_generation", ids, site_id=site_id)

    @bp.get("/ideas")
    @require_module("ideas")
    @documented("Ideas with their outlines", tags=["ideas"], query=PageQuery)
    def list_ideas(site_id, args):
        owned_site(site_id)
        query = owned(ContentIdea).where(ContentIdea.site_id == site_id).order_by(ContentIdea.id)
        return jsonify(paginate(query, serialize.idea))

    return bp
