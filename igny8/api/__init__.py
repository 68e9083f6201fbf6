"""The /api/v1 JSON API used by the frontend."""

from flask import Blueprint

from . import auth, errors, runs, views


def init_app(app) -> None:
    bp = Blueprint("api", __name__, url_prefix=auth.API_PREFIX)
    views.register(bp)
    runs.register(bp)
    app.before_request(auth.authenticate)
    app.register_blueprint(bp)
    errors.init_app(app)
