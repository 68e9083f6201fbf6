"""Parsing model output: JSON inside code fences or prose is accepted, then checked
against the operation's JSON Schema. Anything else is an OutputError (bad_response,
not charged)."""

import copy
import json
import re

import jsonschema

from .meter import OutputError

# Counts and lengths are business rules the operation applies itself (dropping what is
# out of bounds); the shape check only refuses output of the wrong structure.
_BOUNDS = ("minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def _shape_only(schema):
    schema = copy.deepcopy(schema)

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


def parse_json(text: str, schema: dict) -> dict:
    data = extract_json(text)
    try:
        jsonschema.validate(data, _shape_only(schema))
    except jsonschema.ValidationError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "the answer"
        raise OutputError(f"{where}: {exc.message}") from None
    return data
