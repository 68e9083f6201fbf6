"""/admin/login and /admin/logout: Flask-Login sessions, Flask-WTF CSRF."""

from urllib.parse import urlparse

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from .. import accounts, ratelimits
from ..extensions import db


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    """Only a local path under /admin, never another host (nor a header broken by a newline
    or a browser's reading of "\\" as "/")."""
    if (
        target
        and target.startswith("/admin")
        and target.isprintable()
        and "\\" not in target
        and not urlparse(target).netloc
    ):
        return target
    return url_for("admin.index")


def blueprint(limiter) -> Blueprint:
    bp = Blueprint("admin_auth", __name__, url_prefix="/admin")

    @bp.route("/login", methods=["GET", "POST"])
    @ratelimits.login_limit(limiter)  # wrong passwords cannot be tried without end
    def login():
        form = LoginForm()
        error = None
        if form.validate_on_submit():
            user = accounts.find_user(form.email.data)
            if (
                user is not None
                and user.is_active
                and user.is_superuser
                and accounts.check_password(user, form.password.data)
            ):
                if not user.session_nonce:
                    accounts.end_sessions(user)  # a first nonce
                    db.session.commit()
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            error = "Wrong email or password, or not a platform admin."
        elif request.method == "POST":
            error = "The form expired or was incomplete; try again."
        status = 401 if error else 200
        return render_template(
            "admin/login.html", form=form, error=error, next=request.args.get("next")
        ), status

    @bp.route("/logout", methods=["POST"])
    def logout():
        if not FlaskForm().validate_on_submit():  # CSRF: only our own sign-out button
            abort(400)
        if current_user.is_authenticated:
            accounts.end_sessions(current_user)  # a copied cookie stops working too
            db.session.commit()
        logout_user()
        return redirect(url_for("admin_auth.login"))

    return bp
