"""Input no database can store is refused before any view sees it: NUL characters and
lone surrogates in any string, integers beyond what an integer column holds, ids in paths
past that range (404). Bodies are capped by MAX_CONTENT_LENGTH (413)."""

from flask import request
from werkzeug.routing import IntegerConverter

from .errors import ApiError

# An INTEGER column on PostgreSQL holds 32 bits (SQLite's hold 64): the narrower rules.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# No request body of the API nests deeper than a few levels; past this it is refused
# (the checks below and the views' schemas recurse; ~1,000 levels was a 500).
MAX_JSON_DEPTH = 32
# gunicorn's default limits, enforced here so that the answer is the JSON envelope;
# gunicorn's own are raised above them (deploy/gunicorn.conf.py).
MAX_REQUEST_LINE = 4094
MAX_HEADER_FIELD = 8190


def too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in ``value`` nest deeper than ``limit`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedInt(IntegerConverter):
    """<int:...> in a route: an id no column can hold matches no route (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def problem(value, where: str = "", path: tuple = ()) -> tuple[str, tuple] | None:
    """Why a value parsed from a request cannot be stored, and the keys down to the value
    at fault (``where`` names the value in the message), or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{where or 'a string'} contains a NUL character", path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where or 'a string'} is not valid Unicode (a lone surrogate)", path
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return f"{where or 'a number'} is out of range ({INT_MIN} to {INT_MAX})", path
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            found = problem(key, where, path) or problem(item, inner, (*path, key))
            if found:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = problem(item, f"{where}[{n}]", (*path, n))
            if found:
                return found
    return None


def check_sizes() -> None:
    target = request.environ.get("RAW_URI") or request.full_path
    # "GET /path?query HTTP/1.1": the method, the target, the version and two spaces.
    if len(request.method) + len(target) + 10 > MAX_REQUEST_LINE:
        raise ApiError(
            414, f"the request line is longer than {MAX_REQUEST_LINE} bytes", "uri_too_long"
        )
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > MAX_HEADER_FIELD:
            raise ApiError(
                431,
                f"the {name} header is longer than {MAX_HEADER_FIELD} bytes",
                "header_too_large",
            )


def check_request() -> None:
    """Before every request: its query string and form fields (admin sign-in included)
    and, under /api/v1, its JSON body; a 422 validation_error. First, a request line or
    header over gunicorn's default limits: 414 / 431."""
    check_sizes()
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        where = "query" if source is request.args else "body"
        for key, values in source.lists():
            for value in (key, *values):
                found = problem(value, key)
                if found:
                    raise ApiError(422, found[0], field=key, where=where)
    if request.path.startswith("/api/") and request.is_json and request.content_length:
        too_deep_error = ApiError(422, f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        try:  # silent: malformed JSON is the view's 400 to give
            body = request.get_json(silent=True)
        except RecursionError:  # deeper than Python's parser goes
            raise too_deep_error from None
        if too_deep(body):
            raise too_deep_error
        found = problem(body, "body")
        if found:
            raise ApiError(422, found[0], field=found[1] or None)
