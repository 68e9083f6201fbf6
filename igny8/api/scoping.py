"""Tenant scoping: every query for a tenant's rows goes through the caller's account."""

from sqlalchemy import select

from ..extensions import db
from .auth import current_account
from .errors import ApiError


def owned(model):
    """SELECT of ``model`` limited to the caller's account."""
    return select(model).where(model.account_id == current_account().id)


def get_owned(model, object_id: int):
    """The caller's row with that id, or 404 (also for another account's row: no existence leak)."""
    row = db.session.execute(owned(model).where(model.id == object_id)).scalar_one_or_none()
    if row is None:
        raise ApiError(404, f"{model.__name__} {object_id} not found")
    return row
