"""Sign-in for tenant users, for a browser frontend: POST /auth/sign-in sets an HttpOnly
session cookie and answers the session's CSRF token, which every write made with the
cookie sends back in X-CSRF-Token; sign-out ends the session on the server. Password
change, and reset by e-mail; /auth/set-password takes a reset's or an invitation's link.
docs/decisions.md says why a cookie and not tokens in the page."""

from flask import current_app, g, jsonify, make_response, request

from .. import accounts, mail, ratelimits
from ..extensions import db
from . import serialize
from .auth import SESSION_COOKIE, current_user, role
from .errors import ApiError
from .schemas import PasswordChangeIn, PasswordResetIn, SetPasswordIn, SignInIn
from .shapes import MessageOut, SessionOut
from .validation import documented

COOKIE_PATH = "/api/v1"


def _too_many() -> ApiError:
    return ApiError(
        429, "Too many attempts from this address; wait a minute", headers={"Retry-After": "60"}
    )


def _session_answer(user, session) -> dict:
    return {
        "user": serialize.user(user),
        "account": serialize.account(user.account),
        "csrf_token": accounts.csrf_token(session) if session is not None else None,
        "expires_at": serialize.timestamp(session.expires_at) if session is not None else None,
    }


def _set_cookie(response, token: str | None, max_age: int) -> None:
    config = current_app.config
    response.set_cookie(
        SESSION_COOKIE,
        token or "",
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=config["SESSION_COOKIE_SECURE"],
        samesite=config["SESSION_COOKIE_SAMESITE"],
    )


def link_mail(user, purpose: str) -> bool:
    """E-mail ``user`` a link that sets its password: a reset, or an invitation."""
    token = accounts.password_link(user, purpose)
    template = current_app.config["PASSWORD_LINK_URL"]
    link = template.replace("{token}", token) if template else f"token: {token}"
    minutes = current_app.config["PASSWORD_LINK_MINUTES"]
    if purpose == "invitation":
        subject = f"You are invited to {user.account.name} on igny8"
        body = f"Set your password to join {user.account.name}:\n\n{link}\n"
    else:
        subject = "Reset your igny8 password"
        body = f"Someone asked to reset the password of {user.email}. If it was you:\n\n{link}\n"
    body += f"\nThe link works once, for {minutes} minutes.\n"
    return mail.send(user.email, subject, body)


def register(bp):
    @bp.post("/auth/sign-in")
    @documented(
        "Sign in with e-mail and password: sets the session cookie, answers its CSRF token",
        tags=["auth"],
        body=SignInIn,
        public=True,
        response=SessionOut,
    )
    def sign_in(data):
        if not ratelimits.spend("LOGIN_RATE_LIMIT", "api-sign-in"):
            raise _too_many()
        user = accounts.find_user(data["email"])
        if (
            user is None
            or not user.is_active
            or user.account is None
            or not accounts.check_password(user, data["password"])
        ):
            raise ApiError(401, "Wrong e-mail or password", code="invalid_credentials")
        if not user.account.is_active:
            raise ApiError(403, "This account is deactivated")
        token, session = accounts.new_session(user, request.user_agent.string or "session")
        db.session.commit()
        response = make_response(jsonify(_session_answer(user, session)))
        _set_cookie(response, token, current_app.config["API_SESSION_HOURS"] * 3600)
        return response

    @bp.post("/auth/sign-out")
    @role("viewer")
    @documented(
        "Sign out: the session ends on the server and its cookie is cleared",
        tags=["auth"],
        status=204,
    )
    def sign_out():
        if g.session is None:
            raise ApiError(
                400,
                "Sign-out ends a browser session; revoke an API token with DELETE /tokens/{id}",
            )
        g.session.is_active = False
        db.session.commit()
        response = make_response("", 204)
        _set_cookie(response, None, 0)
        return response

    @bp.get("/auth/session")
    @documented(
        "The caller, its account and role, and the session's CSRF token",
        tags=["auth"],
        response=SessionOut,
    )
    def get_session():
        return jsonify(_session_answer(current_user(), g.session))

    @bp.post("/auth/password")
    @role("viewer")
    @documented(
        "Change the caller's password; its other sessions end",
        tags=["auth"],
        body=PasswordChangeIn,
        status=204,
    )
    def change_password(data):
        if not ratelimits.spend("LOGIN_RATE_LIMIT", "api-password"):
            raise _too_many()
        user = current_user()
        if not accounts.check_password(user, data["current_password"]):
            raise ApiError(
                422,
                "Invalid request body",
                details={"fields": {"current_password": ["is not the current password"]}},
            )
        keep = g.session.id if g.session is not None else None
        accounts.set_password(user, data["new_password"], keep_session_id=keep)
        db.session.commit()
        return "", 204

    @bp.post("/auth/password-reset")
    @documented(
        "E-mail a password-reset link (the same answer whether or not the address is known)",
        tags=["auth"],
        body=PasswordResetIn,
        status=202,
        public=True,
        response=MessageOut,
    )
    def request_reset(data):
        if not ratelimits.spend("LOGIN_RATE_LIMIT", "api-password-reset"):
            raise _too_many()
        user = accounts.find_user(data["email"])
        if user is not None and user.is_active and user.account is not None:
            link_mail(user, "reset")
        return jsonify({"message": "If the address is a user's, a reset link is on its way"}), 202

    @bp.post("/auth/set-password")
    @documented(
        "Set a password with the token of a reset or invitation e-mail; every session ends",
        tags=["auth"],
        body=SetPasswordIn,
        status=204,
        public=True,
    )
    def set_password(data):
        if not ratelimits.spend("LOGIN_RATE_LIMIT", "api-set-password"):
            raise _too_many()
        for purpose in accounts.PASSWORD_PURPOSES:
            user = accounts.user_of_password_link(data["token"], purpose)
            if user is not None:
                accounts.set_password(user, data["password"])
                db.session.commit()
                return "", 204
        raise ApiError(
            422,
            "Invalid request body",
            details={"fields": {"token": ["is not valid, was used, or has expired"]}},
        )
