"""Request validation with marshmallow schemas, and the metadata the OpenAPI document is
built from: one schema both validates a request and documents it.

    @bp.post("/sites")
    @documented("Create a site", body=SiteIn, tags=["sites"], status=201)
    def create_site(data): ...
"""

from functools import wraps

from flask import request
from marshmallow import Schema, ValidationError

from .errors import ApiError, field_errors


def _load(schema: Schema, payload, what: str):
    try:
        return schema.load(payload)
    except ValidationError as exc:
        where = "query" if what == "query string" else "body"
        raise ApiError(
            422,
            f"Invalid {what}",
            details={"fields": exc.messages},
            errors=field_errors(exc.messages, where),
        ) from None


def documented(
    summary: str,
    *,
    tags=(),
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    status: int = 200,
    public: bool = False,
    description: str | None = None,
    response: type[Schema] | None = None,
    also: dict | None = None,
    media: dict | None = None,
    run: bool = False,
    etag: bool = False,
    if_match: bool = False,
):
    """Validate the JSON body (passed as ``data``) and/or query string (passed as ``args``),
    and describe the route for /api/v1/openapi.json: ``response`` is the schema of its
    success answer, ``also`` maps other statuses to theirs (e.g. {503: HealthOut}),
    ``media`` is the success content when it is not JSON (an image, an event stream,
    as an OpenAPI content map); ``etag``: the answer carries the item's ETag;
    ``if_match``: the request may send If-Match (412 when stale); ``run`` marks a route that queues a run (202 with the run and a
    Location, or 200 with its results under ``Prefer: wait``)."""
    body_schema = body() if body else None
    query_schema = query() if query else None
    # No body at all is an empty object where every field is optional.
    body_optional = body_schema is not None and not any(
        f.required for f in body_schema.fields.values()
    )

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if body_schema is not None:
                payload = request.get_json(silent=False) if request.data else None
                if payload is None and body_optional and not request.data:
                    payload = {}
                if payload is None:
                    raise ApiError(400, "This endpoint takes a JSON object body")
                kwargs["data"] = _load(body_schema, payload, "request body")
            if query_schema is not None:
                kwargs["args"] = _load(query_schema, request.args.to_dict(), "query string")
            return view(*args, **kwargs)

        wrapper.igny8_openapi = {
            "summary": summary,
            "tags": list(tags),
            "body": body,
            "query": query,
            "status": status,
            "description": description,
            "response": response,
            "also": also or {},
            "media": media,
            "run": run,
            "etag": etag,
            "if_match": if_match,
        }
        if public:
            wrapper.igny8_public = True
        return wrapper

    return decorate
