"""A content module's JSON routes: one blueprint per module, built and registered by the
core, so a module plugin writes its views and nothing else."""

from flask import Blueprint, request

from . import modules, registry
from .api.auth import API_PREFIX
from .api.errors import ApiError
from .api.scoping import owned_site

SITE_PREFIX = API_PREFIX + "/sites/<int:site_id>"


def module_blueprint(module: registry.Module) -> Blueprint:
    """The module's blueprint under /api/v1/sites/<site_id>, with ``module.routes(bp)``'s
    views on it. Before any of them runs, a switched-off module is refused (403
    module_disabled) and a site the caller does not own is not found (404)."""
    routes = module.routes
    bp = Blueprint(module.key, routes.__module__, url_prefix=SITE_PREFIX)

    @bp.before_request
    def gate():
        if not modules.is_enabled(module.key):
            raise ApiError(403, f"module {module.key!r} is switched off", code="module_disabled")
        owned_site(request.view_args["site_id"])

    routes(bp)
    return bp


def init_app(app, pm) -> None:
    """Every module's routes, then what igny8_register_blueprints adds."""
    for module in registry.modules(pm).values():
        if module.routes is not None:
            app.register_blueprint(module_blueprint(module))
    pm.hook.igny8_register_blueprints(app=app)
