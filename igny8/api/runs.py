"""Operation runs over the API: the one way an AI endpoint runs an operation and answers.

Module plugins call ``execute(operation, items, site_id=...)`` from their routes; it
honours the Idempotency-Key header and answers ``{"run": {...}, "results": [...]}``.
"""

from flask import jsonify, request

from ..ai.engine import run_operation
from ..ai.provider import ERROR_CODES as PROVIDER_ERRORS
from ..models import OperationRun
from . import serialize
from .auth import current_account
from .errors import ApiError
from .pagination import paginate
from .scoping import get_owned, owned, owned_ids

IDEMPOTENCY_HEADER = "Idempotency-Key"


def run_json(run: OperationRun) -> dict:
    return {
        "id": run.id,
        "operation": run.operation,
        "status": run.status,
        "items": run.items,
        "items_succeeded": run.items_succeeded,
        "items_failed": run.items_failed,
        "credits_used": run.credits_used,
        "cost_usd": serialize.money(run.cost_usd),
        "model": run.model_name,
        "resolved_by": run.resolved_by,
        "site_id": run.site_id,
        "error": run.error,
        "created_at": serialize.timestamp(run.created_at),
        "finished_at": serialize.timestamp(run.finished_at),
    }


def execute(operation: str, items: list, *, site_id: int | None = None, status: int = 200):
    """Run ``operation`` for ``items`` as the caller's account and answer with the run."""
    key = request.headers.get(IDEMPOTENCY_HEADER)  # checked and claimed by api.idempotency
    outcome = run_operation(
        current_account().id,
        operation,
        items,
        site_id=site_id,
        idempotency_key=key.strip() if key else None,
        request={"operation": operation, "site_id": site_id, "items": items},
    )
    body = {"run": run_json(outcome.run), "results": outcome.results}
    codes = {r["error"]["code"] for r in outcome.results if r["status"] == "failed"}
    if outcome.run.status == "failed" and codes == {"insufficient_credits"}:
        raise ApiError(
            402, "Not enough credits for this operation", code="insufficient_credits", details=body
        )
    if outcome.run.status == "failed" and "prompt_error" in codes:
        message = next(r["error"]["message"] for r in outcome.results if r["status"] == "failed")
        raise ApiError(422, message, code="prompt_error", details=body)
    if outcome.run.status == "failed" and codes and codes <= set(PROVIDER_ERRORS):
        raise ApiError(
            502,
            "Every item failed at the AI provider: " + ", ".join(sorted(codes)),
            code="provider_error",
            details=body,
        )
    response = jsonify(body)
    response.status_code = status
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def execute_on(operation: str, model, ids, site_id: int):
    """``execute`` for ids of the caller's ``model`` rows on that site (404 naming any other)."""
    return execute(operation, owned_ids(model, ids, site_id), site_id=site_id)


def register(bp):
    @bp.get("/runs")
    def list_runs():
        query = owned(OperationRun).order_by(OperationRun.id.desc())
        for name in ("operation", "status"):
            if request.args.get(name):
                query = query.where(getattr(OperationRun, name) == request.args[name])
        return jsonify(paginate(query, run_json))

    @bp.get("/runs/<int:run_id>")
    def get_run(run_id):
        run = get_owned(OperationRun, run_id)
        return jsonify({"run": run_json(run), "results": run.results or []})


__all__ = ["execute", "register", "run_json"]
