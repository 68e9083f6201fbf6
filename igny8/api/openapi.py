"""/api/v1/openapi.json, generated from the routes and the schemas that validate them."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from .. import __version__
from .auth import API_PREFIX
from .errors import STATUS_CODES
from .schemas import ID_RANGE
from .shapes import RunBodyOut

# Every error code an answer can carry (docs/api.md).
ERROR_CODES = {
    *STATUS_CODES.values(),
    "invalid_credentials",
    "csrf_failed",
    "role_required",
    "precondition_failed",
    "in_use",
    "module_disabled",
    "queue_unavailable",
    "database_unavailable",
    "hold_released",
    "plan_forbids_override",
    "prompt_error",
}

ERROR = {
    "type": "object",
    "description": "An RFC 9457 problem (application/problem+json); `error` repeats it in "
    "the earlier envelope",
    "required": ["type", "title", "status", "detail", "code", "errors", "error"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(ERROR_CODES)},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["detail"],
                "properties": {
                    "pointer": {"type": "string", "description": "JSON pointer into the body"},
                    "parameter": {"type": "string", "description": "the query parameter"},
                    "detail": {"type": "string"},
                },
            },
        },
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        },
    },
}


def _path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


RUN_HEADERS = [
    {
        "in": "header",
        "name": "Prefer",
        "schema": {"type": "string", "examples": ["wait=30"]},
        "description": "wait=N (at most 60): answer 200 with the results if the run ends "
        "within N seconds, else 202",
    },
    {
        "in": "header",
        "name": "Idempotency-Key",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": "A retry with the same key gets the same run",
    },
]


def _json(schema) -> dict:
    return {"application/json": {"schema": schema}}


def _responses(meta: dict, error_ref: dict) -> dict:
    if meta.get("run"):
        return {
            "202": {
                "description": "Queued: the run as it is, to follow at Location",
                "headers": {"Location": {"schema": {"type": "string"}}},
                "content": _json(RunBodyOut),
            },
            "200": {
                "description": "The run ended within Prefer: wait",
                "content": _json(RunBodyOut),
            },
            "default": error_ref,
        }
    status = str(meta.get("status", 200))
    success = {"description": "OK"}
    if status == "204":
        success = {"description": "Done; no content"}
    elif meta.get("response") is not None:
        success["content"] = _json(meta["response"])
    return {status: success, "default": error_ref}


def build(app=None) -> dict:
    app = app or current_app
    spec = APISpec(
        title="igny8 API",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "The JSON API of igny8 (see DESIGN §5)."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "igny8_session"}
    )
    spec.components.schema("Error", ERROR)
    error_ref = {
        "description": "Error",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX + "/") or rule.endpoint == "api.openapi_document":
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "igny8_openapi", None) or {}
        operations = paths.setdefault(_path(rule.rule), {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = {
                "summary": meta.get("summary") or rule.endpoint,
                "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
                "tags": meta.get("tags") or [rule.endpoint.split(".")[0]],
                "parameters": [
                    {
                        "in": "path",
                        "name": name,
                        "required": True,
                        "schema": {"type": "integer", **ID_RANGE}
                        if conv == "int"
                        else {"type": "string"},
                    }
                    for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule.rule)
                ],
                "responses": _responses(meta, error_ref),
            }
            if meta.get("description"):
                operation["description"] = meta["description"]
            if meta.get("query"):
                operation["parameters"].append({"in": "query", "schema": meta["query"]})
            if meta.get("body"):
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": meta["body"]}},
                }
            if meta.get("run"):
                operation["parameters"] += RUN_HEADERS
            if not getattr(view, "igny8_public", False):
                operation["security"] = [{"bearer": []}, {"session": []}]
            operations[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
