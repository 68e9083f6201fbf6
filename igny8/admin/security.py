"""Who may enter /admin: active superusers only."""

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import User


@login_manager.user_loader
def load_user(session_id: str):
    """The user of a session id "<user id>.<nonce>", while the nonce is the user's current one."""
    user_id, _, nonce = str(session_id).partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not nonce or nonce != (user.session_nonce or ""):
        return None
    return user


def is_admin() -> bool:
    return bool(
        current_user.is_authenticated and current_user.is_active and current_user.is_superuser
    )


def refuse():
    """Signed-in non-admins get 403; anonymous visitors are sent to sign in."""
    if current_user.is_authenticated:
        abort(403)
    if "admin_auth.login" in current_app.view_functions:
        return redirect(url_for("admin_auth.login", next=request.full_path))
    abort(403)


class SecuredView:
    """Mixin for every admin view."""

    def is_accessible(self):
        return is_admin()

    def inaccessible_callback(self, name, **kwargs):
        return refuse()


# Reachable without signing in (the sign-in page itself and the theme's static files).
OPEN_ENDPOINTS = {"admin_auth.login", "admin.static"}


def gate():
    """before_request for every path under /admin, whichever plugin's view it is."""
    under_admin = request.path == "/admin" or request.path.startswith("/admin/")
    if not under_admin or request.endpoint in OPEN_ENDPOINTS:
        return None
    if is_admin():
        return _refuse_bad_id()
    return refuse()


def _refuse_bad_id():
    """Every admin table's key is an integer: ``?id=`` that is not one (or that no
    column holds) is a 400 page, not a database error."""
    from ..api.guard import INT_MAX, INT_MIN

    raw = request.args.get("id")
    if raw is None:
        return None
    try:
        valid = INT_MIN <= int(raw) <= INT_MAX
    except ValueError:
        valid = False
    if not valid:
        abort(400, description="id must be a whole number")
    return None
