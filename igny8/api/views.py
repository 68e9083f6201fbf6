"""Core endpoints: health, the caller, modules and models."""

from flask import jsonify
from sqlalchemy import select

from .. import modules, registry
from ..ai.credentials import usable_providers
from ..models import AIModelConfig
from ..plugins import current_plugins
from . import serialize
from .auth import current_user, public
from .pagination import paginate
from .schemas import ModelsQuery, PageQuery
from .shapes import AIModelOut, HealthOut, MeOut, ModuleOut, page_of
from .validation import documented


def register(bp):
    @bp.get("/health")
    @public
    @documented(
        "Liveness and each check (database, queue, providers, ...); 503 when one fails",
        tags=["system"],
        public=True,
        response=HealthOut,
        also={503: HealthOut},
    )
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
    @documented(
        "The modules and whether each is on for the account (the sidebar)",
        tags=["account"],
        query=PageQuery,
        response=page_of(ModuleOut),
    )
    def list_modules(args):
        return jsonify(paginate(modules.states(), lambda pair: serialize.module(*pair)))

    @bp.get("/models")
    @documented(
        "Active AI models with their prices; available: usable now (provider keyed)",
        tags=["settings"],
        query=ModelsQuery,
        response=page_of(AIModelOut),
    )
    def list_models(args):
        query = (
            select(AIModelConfig)
            .where(AIModelConfig.is_active)
            .order_by(AIModelConfig.model_type, AIModelConfig.sort_order, AIModelConfig.model_name)
        )
        if args.get("type"):
            query = query.where(AIModelConfig.model_type == args["type"])
        usable = usable_providers(current_plugins().pm)
        return jsonify(
            paginate(query, lambda m: {**serialize.ai_model(m), "available": m.provider in usable})
        )
