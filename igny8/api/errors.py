"""The JSON error envelope: {"error": {"code", "message", "details"}} for every API error."""

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
    ):
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details: dict | None = None):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    return response


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def handle_api_error(exc: ApiError):
    response = error_response(exc.status, exc.code, exc.message, exc.details)
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
