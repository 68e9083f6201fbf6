"""POST /sites/{id}/keywords/cluster and GET /sites/{id}/clusters."""

from flask import jsonify
from marshmallow import Schema, fields, validate
from sqlalchemy import update

from igny8.plugin import (
    ApiError,
    Cluster,
    ContentIdea,
    Keyword,
    KeywordIdsIn,
    KeywordOut,
    PageQuery,
    Strict,
    db,
    documented,
    execute,
    ids_schema,
    item_routes,
    keyword_json,
    on_site,
    owned_ids,
    page_of,
    paginate,
    refuse_if_in_use,
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


class ClusterOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("active", "archived")))
    keywords = fields.List(fields.Nested(KeywordOut), required=True)


class ClusterPatch(Strict):
    name = fields.String(validate=validate.Length(min=1, max=255))
    description = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    status = fields.String(validate=validate.OneOf(("active", "archived")))


MergeIn = ids_schema("MergeClustersIn", "cluster_ids")


def remove_cluster(cluster) -> None:
    """Its keywords are unclustered again (they can be clustered anew); its ideas stay."""
    db.session.execute(
        update(Keyword)
        .where(Keyword.cluster_id == cluster.id)
        .values(cluster_id=None, status="new")
        .execution_options(synchronize_session=False)
    )
    db.session.delete(cluster)


def routes(bp):
    item_routes(
        bp,
        "clusters",
        Cluster,
        serialize=cluster_json,
        shape=ClusterOut,
        tags=["clusters"],
        patch=ClusterPatch,
        remove=remove_cluster,
    )

    @bp.post("/clusters/<int:cluster_id>/merge")
    @documented(
        "Merge clusters into this one: their keywords and ideas move here, they go",
        body=MergeIn,
        response=ClusterOut,
    )
    def merge_clusters(site_id, cluster_id, data):
        [into] = owned_ids(Cluster, [cluster_id], site_id)
        others = [i for i in owned_ids(Cluster, data["cluster_ids"], site_id) if i != into]
        if not others:
            raise ApiError(
                422, "name at least one other cluster to merge into this one", field="cluster_ids"
            )
        refuse_if_in_use(site_id, [into, *others], "cluster")
        for model in (Keyword, ContentIdea):
            db.session.execute(
                update(model)
                .where(model.cluster_id.in_(others))
                .values(cluster_id=into)
                .execution_options(synchronize_session=False)
            )
        for cluster in db.session.scalars(on_site(Cluster, site_id).where(Cluster.id.in_(others))):
            db.session.delete(cluster)
        db.session.commit()
        merged = db.session.get(Cluster, into)
        db.session.refresh(merged)
        return jsonify(cluster_json(merged))

    @bp.post("/keywords/cluster")
    @documented(
        "AI: group keywords into clusters (all unclustered keywords when keyword_ids is omitted)",
        body=KeywordIdsIn,
        run=True,
    )
    def cluster_keywords(site_id, data):
        named = bool(data.get("keyword_ids"))
        ids = owned_ids(Keyword, data["keyword_ids"], site_id) if named else unclustered(site_id)
        # Too few keywords named is the request's fault (422); too few left unclustered on
        # the site is its state's (409: the same request succeeds once there are more).
        status, field = (422, "keyword_ids") if named else (409, None)
        if not ids:
            raise ApiError(status, "this site has no unclustered keywords", field=field)
        if len(ids) < MIN_KEYWORDS:
            raise ApiError(
                status,
                f"a cluster needs at least {MIN_KEYWORDS} keywords; "
                f"{len(ids)} unclustered {'keyword was' if len(ids) == 1 else 'keywords were'} given",
                field=field,
            )
        return execute("clustering", ids, site_id=site_id)

    @bp.get("/clusters")
    @documented("Clusters with their keywords", query=PageQuery, response=page_of(ClusterOut))
    def list_clusters(site_id, args):
        return jsonify(paginate(on_site(Cluster, site_id), cluster_json))
