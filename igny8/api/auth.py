"""Bearer-token authentication for /api/v1 and the caller's account."""

from datetime import timedelta

from flask import current_app, g, request

from ..accounts import active_token
from ..extensions import db
from ..models import Account, User
from ..timeutil import utcnow
from .errors import ApiError

API_PREFIX = "/api/v1"

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def public(view):
    """Mark a view as needing no token."""
    view.igny8_public = True
    return view


def authenticate() -> None:
    """Before every request under /api/v1 (the core's routes and plugins' alike):
    sets g.user and g.account, or raises 401."""
    if not request.path.startswith(API_PREFIX + "/"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "igny8_public", False):
        return
    if request.method == "OPTIONS":  # a CORS preflight never carries the token (igny8.cors)
        return
    from ..ratelimits import count_failed_auth, failed_auth_blocked

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "Send an API token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="igny8"'},
        )
    if failed_auth_blocked():
        raise ApiError(
            429,
            "Too many invalid API tokens from this address; wait a minute",
            code="rate_limited",
            headers={"Retry-After": "60"},
        )
    row = active_token(token.strip())
    if row is None or not row.user.is_active:
        count_failed_auth()
        raise ApiError(
            401,
            "Invalid or revoked API token",
            headers={"WWW-Authenticate": 'Bearer realm="igny8", error="invalid_token"'},
        )
    account = row.user.account
    if account is not None and not account.is_active:
        raise ApiError(403, "This account is deactivated")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    g.user = row.user
    g.account = account
    g.token_id = row.id


def current_user() -> User:
    return g.user


def current_account() -> Account:
    """The caller's account; a user without one (a platform admin) cannot use tenant endpoints."""
    if g.get("account") is None:
        raise ApiError(403, "This user belongs to no account")
    return g.account
