"""Every 422 validation_error has one shape, whatever refused the request: ``errors`` (each
with a JSON pointer into the body, or the query parameter) and ``details.fields`` (the
same, field by field), so a form can show each message under its field."""

import pytest


def refusal(answer):
    assert answer.status_code == 422, answer.get_data(as_text=True)
    body = answer.json
    assert body["code"] == "validation_error" and body["errors"], body
    assert isinstance(body["error"]["details"]["fields"], dict), body
    return body["errors"]


@pytest.mark.parametrize(
    "method, path, body, expected",
    [
        # the request schema (marshmallow)
        (
            "post",
            "/sites/{site}/keywords",
            {"keywords": [{"keyword": ""}]},
            {"pointer": "/keywords/0/keyword"},
        ),
        # a body that is not an object: about the body as a whole
        ("post", "/sites/{site}/keywords", [1, 2], {"pointer": "/"}),
        # the request guard: NUL and 32-bit rules, nested
        (
            "post",
            "/sites/{site}/keywords",
            {"keywords": [{"keyword": "a\x00b"}]},
            {"pointer": "/keywords/0/keyword"},
        ),
        (
            "post",
            "/sites/{site}/keywords",
            {"keywords": [{"keyword": "a", "volume": 2**40}]},
            {"pointer": "/keywords/0/volume"},
        ),
        # page parameters
        ("get", "/sites/{site}/keywords?page=0", None, {"parameter": "page"}),
        ("get", "/sites/{site}/keywords?per_page=x", None, {"parameter": "per_page"}),
        ("get", "/sites/{site}/keywords?q=a%00", None, {"parameter": "q"}),
        # a check past the schema
        (
            "put",
            "/settings/integration",
            {"text_model": "no-such-model"},
            {"pointer": "/text_model"},
        ),
        ("put", "/prompts/clustering", {"template": "{{ nope }}"}, {"pointer": "/template"}),
    ],
)
def test_every_422_names_the_value_at_fault(client, tenant, method, path, body, expected):
    headers = {**tenant.headers}
    answer = getattr(client, method)(
        "/api/v1" + path.format(site=tenant.site_id), json=body, headers=headers
    )
    errors = refusal(answer)
    assert {k: errors[0][k] for k in expected} == expected, errors
    assert errors[0]["detail"]


def test_a_deep_body_is_refused_as_a_whole(client, tenant):
    deep = {"keywords": ["a"]}
    for _ in range(200):
        deep = {"x": deep}
    errors = refusal(
        client.post(f"/api/v1/sites/{tenant.site_id}/keywords", json=deep, headers=tenant.headers)
    )
    assert errors == [{"pointer": "/", "detail": errors[0]["detail"]}]
    assert "nests deeper" in errors[0]["detail"]
