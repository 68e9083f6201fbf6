"""Request rate limits (Flask-Limiter): per API token across the whole API, and per
address on the admin sign-in form. In-memory by default; RATELIMIT_STORAGE_URI (e.g.
redis://127.0.0.1:6379/0) shares the counts between processes. docs/security.md."""

import hashlib

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .api.auth import API_PREFIX, credential


def client_key() -> str:
    """Who is counted: the API token or session cookie sent (hashed, never stored as
    sent), else the address."""
    token, _ = credential()
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "address:" + (get_remote_address() or "unknown")


def _outside_the_api() -> bool:
    return not request.path.startswith(API_PREFIX + "/")


def init_app(app) -> Limiter:
    """This app's limiter (app.extensions["igny8_limiter"]): API_RATE_LIMIT shared by every
    route under /api/v1 for each token; routes add their own with ``limiter.limit``."""
    # Flask-Limiter puts Retry-After on every answer it adds rate-limit headers to; it
    # means "wait before retrying" and belongs to 429 and 503 alone. Registered before the
    # limiter so that it runs after the limiter's own after_request (Flask runs them last
    # registered first).
    app.after_request(_retry_after_only_when_refused)
    limiter = Limiter(
        client_key,
        app=app,
        application_limits=[lambda: current_app.config["API_RATE_LIMIT"]],
        application_limits_exempt_when=_outside_the_api,
        headers_enabled=True,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        # Shared storage (Redis) down: count in this process, with a warning in the log,
        # and go back to the storage once it answers; never off, never a 500.
        in_memory_fallback_enabled=not app.config["RATELIMIT_STORAGE_URI"].startswith("memory"),
        key_prefix="igny8",
    )
    app.extensions["igny8_limiter"] = limiter
    return limiter


def _retry_after_only_when_refused(response):
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def _failed_auth_limit():
    from limits import parse

    return parse(current_app.config["AUTH_FAILURE_RATE_LIMIT"])


def _address() -> str:
    return get_remote_address() or "unknown"


def failed_auth_blocked() -> bool:
    """Whether this address has sent too many bad API tokens lately (each unknown token
    would otherwise get a rate-limit budget of its own)."""
    limiter = current_app.extensions["igny8_limiter"].limiter
    return not limiter.test(_failed_auth_limit(), "auth-failed", _address())


def count_failed_auth() -> None:
    current_app.extensions["igny8_limiter"].limiter.hit(
        _failed_auth_limit(), "auth-failed", _address()
    )


def spend(setting: str, scope: str) -> bool:
    """Count one attempt of this address against the limits in ``setting`` (e.g.
    LOGIN_RATE_LIMIT); False when one of them is used up."""
    from limits import parse_many

    limiter = current_app.extensions["igny8_limiter"].limiter
    within = True
    for limit in parse_many(current_app.config[setting]):
        within = limiter.hit(limit, scope, _address()) and within
    return within


def login_limit(limiter: Limiter):
    """The admin sign-in form's limit, per address (POSTs only: showing the form is free)."""
    return limiter.limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"],
        key_func=lambda: "login:" + (get_remote_address() or "unknown"),
        methods=["POST"],
    )
