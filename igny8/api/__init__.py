"""The /api/v1 JSON API used by the frontend."""

from flask import Blueprint

from . import auth, errors, views

URL_PREFIX = "/api/v1"


def init_app(app) -> None:
    bp = Blueprint("api", __name__, url_prefix=URL_PREFIX)
    bp.before_request(auth.authenticate)
    views.register(bp)
    app.register_blueprint(bp)
    errors.init_app(app)
