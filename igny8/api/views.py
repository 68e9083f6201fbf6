"""Core endpoints: health, the caller, modules and models."""

from flask import jsonify, request
from sqlalchemy import select

from .. import modules, registry
from ..ai.credentials import usable_providers
from ..models import AIModelConfig
from ..models.catalog import MODEL_TYPES
from ..plugins import current_plugins
from . import serialize
from .auth import current_user, public
from .errors import ApiError
from .pagination import paginate
from .shapes import MeOut
from .validation import documented


def register(bp):
    @bp.get("/health")
    @public
    def health():
        checks = registry.health_checks(current_plugins().pm)
        results = {name: check.run() for name, check in sorted(checks.items())}
        level = registry.overall_level(results.values())
        body = {
            # ok: all green; degraded: working, with a warning; error: something failing.
            "status": {"green": "ok", "amber": "degraded", "red": "error"}[level],
            "checks": [
                {"name": n, "ok": r.ok, "level": r.level, "detail": r.detail}
                for n, r in results.items()
            ],
        }
        return jsonify(body), 503 if level == "red" else 200

    @bp.get("/me")
    @documented("The caller and its account", tags=["account"], response=MeOut)
    def me():
        user = current_user()
        return jsonify({"user": serialize.user(user), "account": serialize.account(user.account)})

    @bp.get("/modules")
    def list_modules():
        return jsonify(paginate(modules.states(), lambda pair: serialize.module(*pair)))

    @bp.get("/models")
    def list_models():
        query = (
            select(AIModelConfig)
            .where(AIModelConfig.is_active)
            .order_by(AIModelConfig.model_type, AIModelConfig.sort_order, AIModelConfig.model_name)
        )
        model_type = request.args.get("type")
        if model_type is not None:
            if model_type not in MODEL_TYPES:
                raise ApiError(
                    422,
                    f"type must be one of: {', '.join(MODEL_TYPES)}",
                    details={"type": model_type},
                )
            query = query.where(AIModelConfig.model_type == model_type)
        usable = usable_providers(current_plugins().pm)
        return jsonify(
            paginate(query, lambda m: {**serialize.ai_model(m), "available": m.provider in usable})
        )
