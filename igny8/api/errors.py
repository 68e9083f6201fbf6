"""Every API error is an RFC 9457 problem (application/problem+json): type, title, status,
detail, igny8's `code`, and `errors` (each field error with a JSON pointer into the body,
or the query parameter it is about). The earlier envelope {"error": {"code", "message",
"details"}} is kept in it as the `error` member for clients written against it
(docs/api.md)."""

from http import HTTPStatus

from flask import Response, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from ..database import connection_lost

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    402: "insufficient_credits",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "header_too_large",
    500: "internal_error",
    502: "provider_error",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        details: dict | None = None,
        headers: dict | None = None,
        errors: list | None = None,
        field: str | int | tuple | None = None,
        where: str = "body",
    ):
        """``field``: the value at fault, for a 422 about one value (the keys down to it in
        the body, or the query parameter with ``where="query"``): it goes in ``errors`` with
        its pointer and in ``details.fields`` with the message."""
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message
        self.details = details or {}
        self.headers = headers or {}
        self.errors = errors
        if field is not None:
            fields: dict | list = [message]
            for key in reversed(field if isinstance(field, tuple) else (field,)):
                fields = {key: fields}
            self.details = {**self.details, "fields": fields}
            self.errors = field_errors(fields, where)


PROBLEM_TYPE = "urn:igny8:error:"  # + the code: a stable identifier, one per code


def _escape(key) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


SCHEMA_KEY = "_schema"


def field_errors(messages, where: str = "body", prefix: str = "") -> list[dict]:
    """marshmallow's nested messages as a flat list: {"pointer": "/keywords/0/keyword",
    "detail": ...} for the body, {"parameter": "per_page", "detail": ...} for the query."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            # marshmallow's "_schema": about the object itself (e.g. not an object at all).
            inner = prefix if key == SCHEMA_KEY else f"{prefix}/{_escape(key)}"
            found += field_errors(value, where, inner)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            if where == "query":
                found.append({"parameter": prefix.lstrip("/").split("/")[0], "detail": message})
            else:
                found.append({"pointer": prefix or "/", "detail": message})
    elif isinstance(messages, list):
        for n, value in enumerate(messages):
            found += field_errors(value, where, f"{prefix}/{n}")
    else:
        found.append({"pointer": prefix or "/", "detail": str(messages)})
    return found


def error_response(status: int, code: str, message: str, details=None, errors=None):
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": message,
        "code": code,
        "errors": errors or [],
        "error": {"code": code, "message": message, "details": details or {}},
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def handle_api_error(exc: ApiError):
    errors, details = exc.errors, exc.details
    if exc.code == "validation_error" and not isinstance(details.get("fields"), dict):
        # One shape for every 422: not about one field, it is about the body as a whole.
        details = {**details, "fields": {SCHEMA_KEY: [exc.message]}}
    if errors is None:
        errors = field_errors(details["fields"]) if isinstance(details.get("fields"), dict) else []
    response = error_response(exc.status, exc.code, exc.message, details, errors)
    response.headers.update(exc.headers)
    return response


def handle_http_exception(exc: HTTPException):
    """Non-API paths keep Flask's pages; API paths get the envelope (unhandled errors arrive as 500)."""
    if not _is_api_request():
        return exc
    status = exc.code or 500
    details = (
        {"allowed_methods": sorted(exc.valid_methods)}
        if getattr(exc, "valid_methods", None)
        else {}
    )
    message = "Internal server error" if status == 500 else exc.description
    response = error_response(status, STATUS_CODES.get(status, "error"), message, details)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        value = exc.get_response().headers.get(header)
        if value:
            response.headers[header] = value
    return response


def _engine_errors():
    """The engine's refusals, as the API contract names them."""
    from ..ai.engine import IdempotencyConflict, OperationRefused
    from ..ai.provider import ProviderError
    from ..billing.ledger import InsufficientCredits

    return {
        OperationRefused: lambda e: error_response(e.status, e.code, e.message),
        IdempotencyConflict: lambda e: error_response(409, "conflict", str(e)),
        InsufficientCredits: lambda e: error_response(
            402,
            "insufficient_credits",
            "Not enough credits for this operation",
            {"needed": e.needed},
        ),
        ProviderError: lambda e: error_response(
            502, "provider_error", e.message, {"provider_code": e.code}
        ),
    }


# Seconds a client is told to wait when the database is away.
DATABASE_RETRY_AFTER = 5


def handle_database_error(exc: DBAPIError):
    """The database went away (a restart, a failover): 503 with Retry-After, on the API
    and in admin alike, instead of a 500. Any other database error is a bug: 500."""
    from ..extensions import db

    try:
        db.session.rollback()
    except Exception:
        db.session.remove()
    if not connection_lost(exc):
        raise exc
    message = "The database is unavailable right now; try again shortly"
    if _is_api_request():
        response = error_response(503, "database_unavailable", message)
    else:
        response = Response(message + ".\n", status=503, mimetype="text/plain")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def init_app(app) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    for exc_type, handler in _engine_errors().items():
        app.register_error_handler(exc_type, handler)
