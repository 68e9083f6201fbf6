"""Parsing model output: JSON inside code fences or prose is accepted, then checked
against the operation's JSON Schema. Anything else is an OutputError (bad_response,
not charged)."""

import functools
import json
import re

import jsonschema

from .meter import OutputError

# Counts and lengths are business rules the operation applies itself (dropping what is
# out of bounds); the shape check only refuses output of the wrong structure.
_BOUNDS = ("minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def _shape_only(schema):
    """``schema`` (a fresh copy, changed in place) without its bounds."""

    def strip(node):
        if isinstance(node, dict):
            for bound in _BOUNDS:
                node.pop(bound, None)
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(schema)
    return schema


def extract_json(text: str):
    """The first JSON object in ``text``: bare, fenced, or surrounded by prose."""
    candidates = [text.strip(), *(m.strip() for m in _FENCE.findall(text))]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise OutputError("the model did not answer with JSON")


@functools.lru_cache(maxsize=128)
def _validator(schema_json: str):
    """Checking a schema and building its validator costs far more than validating an
    answer: done once per distinct schema (operations may build a schema per item, so the
    key is its content, not the object)."""
    shape = _shape_only(json.loads(schema_json))
    cls = jsonschema.validators.validator_for(shape)
    cls.check_schema(shape)
    return cls(shape)


def parse_json(text: str, schema: dict) -> dict:
    data = extract_json(text)
    try:
        validator = _validator(json.dumps(schema, sort_keys=True))
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is not None:
            raise error
    except jsonschema.ValidationError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "the answer"
        raise OutputError(f"{where}: {exc.message}") from None
    return data
