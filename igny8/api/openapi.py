"""/api/v1/openapi.json, generated from the routes and the schemas that validate them."""

import json
import re
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from .. import __version__
from .auth import API_PREFIX
from .errors import STATUS_CODES
from .guard import INT_MAX, INT_MIN
from .schemas import ID_RANGE, KeywordIn
from .shapes import EVENT_SCHEMAS, RunBodyOut

# Schemas the document refers to by name outside any route's own schemas.
REFERENCED = {"KeywordIn": KeywordIn, **EVENT_SCHEMAS}

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
    "run_failed",
    "publish_failed",
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
                "details": {
                    "type": "object",
                    "description": "What the code needs said (e.g. `needed` credits, the "
                    "current `etag`, a failed run); a validation_error always has `fields`",
                    "properties": {
                        "fields": {
                            "type": "object",
                            "description": "Each field at fault with its messages, nested as "
                            "the body is (`_schema`: the body or object as a whole)",
                        }
                    },
                },
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


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": "The ETag the change was made from: 412 precondition_failed, and "
    "nothing changed, if the item changed since",
}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "The item's version"}}


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
    elif meta.get("media") is not None:
        success["content"] = meta["media"]
    elif meta.get("response") is not None:
        success["content"] = _json(meta["response"])
    if meta.get("etag"):
        success["headers"] = ETAG
    answers = {status: success}
    for other, schema in meta.get("also", {}).items():
        answers[str(other)] = {"description": HTTPStatus(other).phrase, "content": _json(schema)}
    return {**answers, "default": error_ref}


# What igny8.api.guard refuses in any request, stated on every string and integer a
# request carries (a client validating against the document finds out before sending).
# No NUL. (Lone surrogates are refused too, but are not valid Unicode text to begin with;
# [^\u0000\ud800-\udfff] would state both, and made schemathesis generate NULs.)
STORABLE_STRING = "^[^\\u0000]*$"


ANY_JSON_REF = "#/components/schemas/StorableJson"
STORABLE_SCALARS = [
    {"type": "string", "pattern": STORABLE_STRING},
    {"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX},
    {"type": "number", "not": {"type": "integer"}},
    {"type": "boolean"},
    {"type": "null"},
]
# How deep the document describes nested JSON. The guard takes any depth, but a recursive
# schema defeats generated clients (openapi-fetch's Writable<> turns a self-referencing
# object into one whose values must be undefined), so the document spells out three levels.
STORABLE_DEPTH = 3


def storable_json(depth: int = STORABLE_DEPTH) -> dict:
    """A JSON value as the guard takes it anywhere in a body, ``depth`` containers deep:
    strings without NUL, integers an INTEGER column holds, arrays and objects of the same."""
    if depth == 0:
        return {"anyOf": STORABLE_SCALARS}
    inner = storable_json(depth - 1)
    return {
        "anyOf": [
            *STORABLE_SCALARS,
            {"type": "array", "items": inner},
            {
                "type": "object",
                "propertyNames": {"pattern": STORABLE_STRING},
                "additionalProperties": inner,
            },
        ]
    }


STORABLE_JSON = {
    "description": "Any JSON value igny8 can store (deeper nesting is taken too)",
    **storable_json(),
}


def _storable(node, components: dict, seen: set) -> None:
    """State the guard's rules on ``node`` and everything it refers to, in place."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        ref = item.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                stack.append(components[name])
            continue
        # Any JSON (a Raw field): any JSON the guard lets through.
        for key in ("items", "additionalProperties"):
            if item.get(key) == {}:
                item[key] = {"$ref": ANY_JSON_REF}
        for name, prop in item.get("properties", {}).items():
            if prop == {}:
                item["properties"][name] = {"$ref": ANY_JSON_REF}
        if item.get("additionalProperties", False) not in (False, True):
            item.setdefault("propertyNames", {"pattern": STORABLE_STRING})
        # A generated client makes a field with a default required (openapi-typescript's
        # defaultNonNullable), so a request states its defaults in words instead.
        if "default" in item:
            default = item.pop("default")
            if default is not None and "Default:" not in item.get("description", ""):
                note = f"Default: {json.dumps(default)}."
                item["description"] = (
                    f"{item['description']} {note}" if item.get("description") else note
                )
        kinds = item.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "string" in kinds and not {"enum", "pattern", "format"} & set(item):
            item["pattern"] = STORABLE_STRING
        if "integer" in kinds:
            item.setdefault("minimum", INT_MIN)
            item.setdefault("maximum", INT_MAX)
        # Property maps are walked by value: a property may be named "default".
        stack.extend(item.get("properties", {}).values())
        stack.extend(v for k, v in item.items() if k not in ("enum", "examples", "properties"))


def _request_rules(document: dict) -> None:
    components, seen = document["components"]["schemas"], {"StorableJson"}
    components["StorableJson"] = STORABLE_JSON
    for operations in document["paths"].values():
        for operation in operations.values():
            _storable(operation.get("parameters", []), components, seen)
            _storable(operation.get("requestBody", {}), components, seen)


def build(app=None) -> dict:
    app = app or current_app
    spec = APISpec(
        title="igny8 API",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "The JSON API of igny8 (see DESIGN §5)."},
        # Paths carry /api/v1; "/" is the host that served this document (PUBLIC_URL when
        # the app knows its public address).
        servers=[{"url": app.config["PUBLIC_URL"] or "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "igny8_session"}
    )
    spec.components.schema("Error", ERROR)
    for name, schema in REFERENCED.items():
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
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
            if meta.get("if_match"):
                operation["parameters"].append(IF_MATCH)
            if not getattr(view, "igny8_public", False):
                operation["security"] = [{"bearer": []}, {"session": []}]
            operations[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _request_rules(document)
    return document
