"""One row of a site, read and edited the same way whoever owns its table (the core's
keywords and content, a module's clusters, ideas, tasks and images):

    GET    <path>/<id>   the row, with an ETag
    PATCH  <path>/<id>   change fields (If-Match: 412 when the row changed since)
    DELETE <path>/<id>   (If-Match as well)
    POST   <path>/bulk-delete {"ids": [...]}
    POST   <path>/bulk-update {"ids": [...], "changes": {...}}   (the PATCH fields)

A row a queued or running run of its site works on cannot be changed or deleted (409): the
run would write over the change, or find its item gone. That check is conservative: a run's
work items are ids of several kinds, so an id of another kind that is equal also refuses.
"""

import hashlib
import json

from flask import jsonify, request
from marshmallow import fields, validate
from sqlalchemy import delete, select

from ..extensions import db
from ..models import OperationRun
from ..models.runs import ACTIVE
from .auth import current_account
from .errors import ApiError
from .schemas import Strict, id_field
from .scoping import get_on_site, on_site, owned_ids
from .shapes import DeletedOut, UpdatedOut
from .validation import documented

BULK_MAX = 500


def etag(body) -> str:
    """A strong validator of the representation: the same JSON, the same tag."""
    text = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def tagged(body, status: int = 200):
    """``body`` as JSON with its ETag."""
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = etag(body)
    return response


def check_if_match(body) -> None:
    """412 when the request sent If-Match and none of its tags is the row's now."""
    sent = request.headers.get("If-Match")
    if sent is None:
        return
    tags = [t.strip() for t in sent.split(",")]
    current = etag(body)
    if "*" not in tags and current not in tags and f"W/{current}" not in tags:
        raise ApiError(
            412,
            "It changed since you read it (If-Match does not match); read it again",
            code="precondition_failed",
            details={"etag": current},
        )


def _ids_in(work) -> set[int]:
    """Every integer in a run's work items (ids, or batches and objects of ids)."""
    found, stack = set(), [work]
    while stack:
        value = stack.pop()
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            found.add(value)
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return found


def refuse_if_in_use(site_id: int, ids, what: str) -> None:
    """409 if a queued or running run of the site works on one of ``ids`` (with
    ``ids`` None: any such run)."""
    works = db.session.execute(
        select(OperationRun.id, OperationRun.work)
        .where(
            OperationRun.account_id == current_account().id,
            OperationRun.site_id == site_id,
            OperationRun.status.in_(ACTIVE),
        )
        .order_by(OperationRun.id)
    ).all()
    wanted = set(ids or ())
    for run_id, work in works:
        if ids is None or _ids_in(work or []) & wanted:
            raise ApiError(
                409,
                f"run {run_id} is working on this {what}; wait for it or cancel it",
                code="in_use",
                details={"run_id": run_id},
            )


def _bulk_ids():
    return fields.List(id_field(), required=True, validate=validate.Length(min=1, max=BULK_MAX))


class BulkIdsIn(Strict):
    ids = _bulk_ids()


def bulk_update_schema(patch):
    """``{"ids": [...], "changes": <patch>}``, named after the PATCH schema."""
    name = patch.__name__.removesuffix("Patch") + "BulkUpdateIn"
    return type(
        name, (Strict,), {"ids": _bulk_ids(), "changes": fields.Nested(patch, required=True)}
    )


def item_routes(
    bp,
    path: str,
    model,
    *,
    serialize,
    tags,
    patch=None,
    update=None,
    remove=None,
    site_prefix: str = "",
    shape=None,
):
    """Register GET, PATCH (with ``patch``, a marshmallow schema), DELETE and bulk delete
    for ``model`` rows at ``<site_prefix>/<path>/<id>``; every view takes ``site_id``.
    ``update(row, data)`` applies a PATCH (default: set each field); ``remove(row)``
    deletes one (default: the row). ``shape`` is the response schema of a row. With
    ``patch``, bulk update applies one set of changes to many rows, all or none."""
    what = path.rstrip("s").replace("-", " ")
    name = model.__tablename__
    item_url = f"{site_prefix}/{path}/<int:item_id>"

    def find(site_id: int, item_id: int):
        return get_on_site(model, site_id, item_id, what)

    @documented(f"Get one {what}, with its ETag", tags=tags, response=shape, etag=True)
    def get_item(site_id, item_id):
        return tagged(serialize(find(site_id, item_id)))

    bp.add_url_rule(item_url, f"get_{name}", get_item, methods=["GET"])

    if patch is not None:

        @documented(
            f"Change a {what} (If-Match: its ETag, 412 if it changed)",
            tags=tags,
            body=patch,
            response=shape,
            etag=True,
            if_match=True,
        )
        def patch_item(site_id, item_id, data):
            row = find(site_id, item_id)
            check_if_match(serialize(row))
            refuse_if_in_use(site_id, [item_id], what)
            apply(row, data)
            db.session.commit()
            return tagged(serialize(row))

        def apply(row, data):
            if update is not None:
                update(row, data)
            else:
                for field, value in data.items():
                    setattr(row, field, value)

        bp.add_url_rule(item_url, f"patch_{name}", patch_item, methods=["PATCH"])

        @documented(
            f"Change several {path.replace('-', ' ')} the same way, all or none",
            tags=tags,
            body=bulk_update_schema(patch),
            response=UpdatedOut,
        )
        def bulk_update(site_id, data):
            ids = owned_ids(model, data["ids"], site_id)  # 404 naming any that are not
            refuse_if_in_use(site_id, ids, what)
            rows = db.session.scalars(on_site(model, site_id).where(model.id.in_(ids))).all()
            for row in rows:
                apply(row, data["changes"])  # an ApiError here leaves every row as it was
                db.session.flush()
            db.session.commit()
            return jsonify({"updated": len(rows)})

        bp.add_url_rule(
            f"{site_prefix}/{path}/bulk-update",
            f"bulk_update_{name}",
            bulk_update,
            methods=["POST"],
        )

    @documented(
        f"Delete a {what} (If-Match: its ETag, 412 if it changed)",
        tags=tags,
        status=204,
        if_match=True,
    )
    def delete_item(site_id, item_id):
        row = find(site_id, item_id)
        check_if_match(serialize(row))
        refuse_if_in_use(site_id, [item_id], what)
        (remove or db.session.delete)(row)
        db.session.commit()
        return "", 204

    bp.add_url_rule(item_url, f"delete_{name}", delete_item, methods=["DELETE"])

    @documented(
        f"Delete several {path.replace('-', ' ')} at once",
        tags=tags,
        body=BulkIdsIn,
        response=DeletedOut,
    )
    def bulk_delete(site_id, data):
        ids = owned_ids(model, data["ids"], site_id)  # 404 naming any that are not
        refuse_if_in_use(site_id, ids, what)
        if remove is None:
            db.session.execute(
                delete(model)
                .where(model.id.in_(ids), model.account_id == current_account().id)
                .execution_options(synchronize_session=False)
            )
        else:
            for row in db.session.scalars(on_site(model, site_id).where(model.id.in_(ids))):
                remove(row)
        db.session.commit()
        return jsonify({"deleted": len(ids)})

    bp.add_url_rule(
        f"{site_prefix}/{path}/bulk-delete", f"bulk_delete_{name}", bulk_delete, methods=["POST"]
    )
