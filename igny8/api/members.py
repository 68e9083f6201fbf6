"""The account's users: listed by any member; invited, given a role and removed by an
owner. An account always keeps an active owner. A removed user is deactivated (its
sessions and API tokens stop working), not deleted: what it did stays attributed."""

from flask import jsonify
from sqlalchemy import func, select, update

from .. import accounts
from ..extensions import db
from ..models import ApiToken, User
from . import serialize
from .auth import current_account, role
from .errors import ApiError
from .pagination import paginate
from .schemas import InviteIn, PageQuery, RoleIn
from .session import link_mail
from .shapes import InvitedOut, MemberOut, page_of
from .validation import documented


def _members():
    return select(User).where(User.account_id == current_account().id, User.is_active)


def _member(user_id: int) -> User:
    user = db.session.execute(_members().where(User.id == user_id)).scalar_one_or_none()
    if user is None:
        raise ApiError(404, f"user {user_id} not found")
    return user


def _keeps_an_owner(leaving: User) -> None:
    """409 if ``leaving`` is the account's last active owner with a password."""
    if leaving.role != "owner":
        return
    accounts.lock(leaving.account_id)  # two owners demoting each other at once
    others = db.session.execute(
        select(func.count())
        .select_from(User)
        .where(
            User.account_id == leaving.account_id,
            User.is_active,
            User.role == "owner",
            User.password_hash.is_not(None),
            User.id != leaving.id,
        )
    ).scalar_one()
    if not others:
        raise ApiError(409, "An account keeps at least one owner; make another user owner first")


def register(bp):
    @bp.get("/users")
    @documented(
        "List the account's users", tags=["account"], query=PageQuery, response=page_of(MemberOut)
    )
    def list_users(args):
        return jsonify(paginate(_members().order_by(User.id), serialize.member))

    @bp.post("/users")
    @role("owner")
    @documented(
        "Invite a user to the account by e-mail, with a role (the e-mail sets its password)",
        tags=["account"],
        body=InviteIn,
        status=201,
        response=InvitedOut,
    )
    def invite_user(data):
        account = current_account()
        email = accounts.normal_email(data["email"])
        user = accounts.find_user(email)
        if user is not None and (user.account_id != account.id or user.is_superuser):
            raise ApiError(409, "This e-mail is already a user elsewhere and cannot be invited")
        if user is not None and user.is_active and user.password_hash:
            raise ApiError(409, f"{email} is already a member of this account")
        if user is None:
            user = accounts.create_user(email, account=account)
        else:  # invited before, or removed: invited again, with no password until it sets one
            user.is_active, user.password_hash = True, None
            accounts.end_sessions(user)
        user.role = data["role"]
        db.session.commit()
        sent = link_mail(user, "invitation")
        return jsonify({**serialize.member(user), "invitation_sent": sent}), 201

    @bp.patch("/users/<int:user_id>")
    @role("owner")
    @documented("Change a user's role", tags=["account"], body=RoleIn, response=MemberOut)
    def change_role(user_id, data):
        user = _member(user_id)
        if data["role"] != "owner":
            _keeps_an_owner(user)
            user = _member(user_id)  # read again under the account's lock
        user.role = data["role"]
        db.session.commit()
        return jsonify(serialize.member(user))

    @bp.delete("/users/<int:user_id>")
    @role("owner")
    @documented(
        "Remove a user from the account: its sessions and API tokens stop at once",
        tags=["account"],
        status=204,
    )
    def remove_user(user_id):
        user = _member(user_id)
        _keeps_an_owner(user)
        user = _member(user_id)
        user.is_active = False
        accounts.end_sessions(user)
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id)
            .values(is_active=False)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return "", 204
