"""The /api/v1 JSON API used by the frontend."""

from flask import Blueprint, jsonify

from . import (
    auth,
    billing,
    errors,
    guard,
    idempotency,
    members,
    notifications,
    openapi,
    runs,
    session,
    settings,
    sites,
    tokens,
    views,
)


def init_app(app) -> None:
    bp = Blueprint("api", __name__, url_prefix=auth.API_PREFIX)
    for module in (
        views,
        runs,
        sites,
        settings,
        billing,
        tokens,
        session,
        members,
        notifications,
    ):
        module.register(bp)

    @bp.get("/openapi.json")
    @auth.public
    def openapi_document():
        return jsonify(openapi.build())

    app.before_request(guard.check_request)  # every path: the admin's sign-in form too
    app.before_request(auth.authenticate)
    app.before_request(idempotency.claim_or_replay)  # after authenticate: keys are per account
    app.after_request(idempotency.store)
    app.teardown_request(idempotency.release)
    app.register_blueprint(bp)
    errors.init_app(app)
