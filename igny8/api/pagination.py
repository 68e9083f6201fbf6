"""`?page=&per_page=` for every list: {"items", "page", "per_page", "total", "next"}
("next": the URL of the following page, or null on the last); `?sort=` for lists that
take it."""

from urllib.parse import urlencode

from flask import current_app, request
from sqlalchemy import func, select

from ..extensions import db
from .errors import ApiError

MAX_PAGE = 1_000_000  # past any list; keeps the offset inside what SQL can take


def page_args() -> tuple[int, int]:
    limit = current_app.config["API_PER_PAGE_MAX"]
    values = {}
    for name, default in (("page", 1), ("per_page", current_app.config["API_PER_PAGE_DEFAULT"])):
        raw = request.args.get(name, default)
        try:
            values[name] = int(raw)
        except (TypeError, ValueError):
            raise ApiError(422, f"{name} must be an integer", field=name, where="query") from None
    if not 1 <= values["page"] <= MAX_PAGE:
        raise ApiError(422, f"page must be between 1 and {MAX_PAGE}", field="page", where="query")
    if not 1 <= values["per_page"] <= limit:
        raise ApiError(
            422, f"per_page must be between 1 and {limit}", field="per_page", where="query"
        )
    return values["page"], values["per_page"]


def paginate(source, serialize) -> dict:
    """One page of a SQLAlchemy Select (counted and sliced in SQL) or of a list."""
    page, per_page = page_args()
    offset = (page - 1) * per_page
    if isinstance(source, list):
        total, rows = len(source), source[offset : offset + per_page]
    else:
        total = db.session.execute(
            select(func.count()).select_from(source.order_by(None).subquery())
        ).scalar_one()
        rows = db.session.execute(source.limit(per_page).offset(offset)).scalars().all()
    following = None
    if offset + len(rows) < total:
        following = f"{request.path}?{urlencode({**request.args.to_dict(), 'page': page + 1})}"
    return {
        "items": [serialize(r) for r in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "next": following,
    }


def sorted_by(query, model, sort: str | None):
    """``query`` ordered by ``sort`` ("field" or "-field"), then by id (a stable order).
    Empty values come last either way (left alone, PostgreSQL puts them last ascending and
    first descending, SQLite the other way round)."""
    query = query.order_by(None)
    if not sort:
        return query.order_by(model.id)
    column = getattr(model, sort.lstrip("-"))
    ordered = column.desc() if sort.startswith("-") else column.asc()
    return query.order_by(column.is_(None), ordered, model.id)


def filtered(query, model, args: dict, equal=(), search: str | None = None):
    """``query`` narrowed by a list's query arguments: each of ``equal`` given (e.g. status,
    cluster_id) must match, ``q`` is found in the ``search`` column (any case), and
    ``sort`` orders it (see sorted_by)."""
    for name in equal:
        if args.get(name) is not None:
            query = query.where(getattr(model, name) == args[name])
    if search and args.get("q"):
        query = query.where(getattr(model, search).icontains(args["q"], autoescape=True))
    return sorted_by(query, model, args.get("sort"))
