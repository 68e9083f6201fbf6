"""The account's API tokens: listed (never the token itself: its first characters), made
(the token shown once, in the answer), revoked (it stops working at once)."""

from flask import jsonify
from sqlalchemy import select

from .. import accounts
from ..extensions import db
from ..models import ApiToken, User
from . import serialize
from .auth import current_account, current_user, role
from .errors import ApiError
from .pagination import paginate
from .schemas import PageQuery, TokenIn
from .shapes import NewTokenOut, TokenOut, page_of
from .validation import documented


def _account_tokens():
    return (
        select(ApiToken)
        .join(User, ApiToken.user_id == User.id)
        .where(User.account_id == current_account().id, ApiToken.kind == "api")
        .order_by(ApiToken.id)
    )


def register(bp):
    @bp.get("/tokens")
    @role("owner")
    @documented(
        "List the account's API tokens",
        tags=["account"],
        query=PageQuery,
        response=page_of(TokenOut),
    )
    def list_tokens(args):
        return jsonify(paginate(_account_tokens(), serialize.api_token))

    @bp.post("/tokens")
    @role("owner")
    @documented(
        "Make an API token for the caller (the token is in this answer only)",
        tags=["account"],
        body=TokenIn,
        status=201,
        response=NewTokenOut,
    )
    def create_token(data):
        current_account()  # a user of no account has no tokens to make here
        token, row = accounts.new_token(current_user(), name=data["name"])
        db.session.commit()
        return jsonify({**serialize.api_token(row), "token": token}), 201

    @bp.delete("/tokens/<int:token_id>")
    @role("owner")
    @documented("Revoke one of the account's API tokens", tags=["account"], status=204)
    def revoke_token(token_id):
        row = db.session.execute(
            _account_tokens().where(ApiToken.id == token_id)
        ).scalar_one_or_none()
        if row is None:
            raise ApiError(404, f"token {token_id} not found")
        row.is_active = False
        db.session.commit()
        return "", 204
