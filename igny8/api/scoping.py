"""Tenant scoping: every query for a tenant's rows goes through the caller's account."""

from sqlalchemy import select

from ..extensions import db
from ..models import Site
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


def get_on_site(model, site_id: int, object_id: int, what: str | None = None):
    """The caller's row of ``model`` with that id on that site, or 404."""
    row = db.session.execute(
        on_site(model, site_id).where(model.id == object_id)
    ).scalar_one_or_none()
    if row is None:
        raise ApiError(404, f"{what or model.__name__} {object_id} not found")
    return row


def owned_site(site_id: int) -> Site:
    """The caller's site, or 404 (a deleted site, kept archived for its history, too)."""
    site = get_owned(Site, site_id)
    if not site.is_active:
        raise ApiError(404, f"Site {site_id} not found")
    return site


def owned_ids(model, ids, site_id: int) -> list[int]:
    """``ids`` if every one is the caller's row on that site, else 404 naming the others."""
    ids = list(dict.fromkeys(ids))
    found = set(
        db.session.execute(
            select(model.id).where(
                model.account_id == current_account().id,
                model.site_id == site_id,
                model.id.in_(ids),
            )
        ).scalars()
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApiError(
            404,
            f"{model.__name__} not found: {', '.join(map(str, missing))}",
            details={"missing_ids": missing},
        )
    return ids


def on_site(model, site_id: int, *order_by):
    """SELECT of the caller's ``model`` rows on that site, ordered (by id unless told)."""
    return owned(model).where(model.site_id == site_id).order_by(*(order_by or (model.id,)))
