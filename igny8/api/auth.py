"""Authentication for /api/v1 and the caller's account and role: an API token sent as a
bearer token, or a browser session's HttpOnly cookie (made by POST /auth/sign-in), whose
writes must also send the session's X-CSRF-Token. docs/api.md."""

import hmac
from datetime import timedelta

from flask import current_app, g, request

from ..accounts import active_token, csrf_token
from ..extensions import db
from ..models import Account, User
from ..timeutil import utcnow
from .errors import ApiError

API_PREFIX = "/api/v1"

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


SESSION_COOKIE = "igny8_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Each role may do what the ones after it may.
ROLE_RANK = {"owner": 3, "editor": 2, "viewer": 1}


def public(view):
    """Mark a view as needing no token."""
    view.igny8_public = True
    return view


def role(needed: str):
    """The least role a view needs. Without it, reads need a viewer and writes an editor
    (a plugin's routes too)."""
    if needed not in ROLE_RANK:
        raise ValueError(f"unknown role {needed!r}")

    def mark(view):
        view.igny8_role = needed
        return view

    return mark


def needed_role(view) -> str:
    found = getattr(view, "igny8_role", None)
    if found:
        return found
    return "viewer" if request.method in SAFE_METHODS else "editor"


def credential() -> tuple[str, bool]:
    """The token this request carries, and whether it came in the session cookie."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), False
    return request.cookies.get(SESSION_COOKIE, "").strip(), True


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

    token, from_cookie = credential()
    if not token:
        raise ApiError(
            401,
            "Sign in (POST /api/v1/auth/sign-in) or send an API token as "
            "'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="igny8"'},
        )
    if failed_auth_blocked():
        raise ApiError(
            429,
            "Too many invalid API tokens from this address; wait a minute",
            code="rate_limited",
            headers={"Retry-After": "60"},
        )
    row = active_token(token)
    if row is None or not row.user.is_active or (from_cookie and row.kind != "session"):
        count_failed_auth()
        raise ApiError(
            401,
            "The session has ended; sign in again"
            if from_cookie
            else "Invalid or revoked API token",
            headers={"WWW-Authenticate": 'Bearer realm="igny8", error="invalid_token"'},
        )
    if from_cookie and request.method not in SAFE_METHODS:
        # A cookie is sent by the browser whoever made the page; the CSRF token only by
        # the page that signed in (it was in the sign-in answer).
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf_token(row).encode()):
            raise ApiError(
                403,
                f"A write with the session cookie must send the session's {CSRF_HEADER} "
                "(from POST /auth/sign-in or GET /auth/session)",
                code="csrf_failed",
            )
    account = row.user.account
    if account is not None and not account.is_active:
        raise ApiError(403, "This account is deactivated")
    needed = needed_role(view)
    if account is not None and ROLE_RANK[row.user.role] < ROLE_RANK[needed]:
        raise ApiError(
            403,
            f"This needs the {needed} role; you are {row.user.role}",
            code="role_required",
            details={"needed": needed, "role": row.user.role},
        )
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    g.user = row.user
    g.account = account
    g.token_id = row.id
    g.session = row if from_cookie else None


def current_user() -> User:
    return g.user


def current_account() -> Account:
    """The caller's account; a user without one (a platform admin) cannot use tenant endpoints."""
    if g.get("account") is None:
        raise ApiError(403, "This user belongs to no account")
    return g.account
