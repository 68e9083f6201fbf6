"""A frontend on another origin (CORS_ORIGINS) calls the API from a browser: preflights
are answered before authentication, answers (errors too) carry the CORS headers, and an
origin not listed gets none."""

import pytest

FRONTEND = "http://localhost:5173"


@pytest.fixture
def cors_app(make_app):
    return make_app(CORS_ORIGINS=(FRONTEND, "https://app.example.com"))


def test_a_preflight_from_a_listed_origin_is_answered_without_a_token(cors_app):
    answer = cors_app.test_client().options(
        "/api/v1/sites",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, prefer",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == FRONTEND
    allowed = answer.headers["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key", "prefer"):
        assert header in allowed
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


def test_answers_to_a_listed_origin_carry_cors_headers_errors_included(
    cors_app, tenant_factory_for
):
    tenant = tenant_factory_for(cors_app)
    client = cors_app.test_client()
    answer = client.get("/api/v1/sites", headers={**tenant.headers, "Origin": FRONTEND})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == FRONTEND
    exposed = answer.headers["Access-Control-Expose-Headers"]
    for header in (
        "Location",
        "ETag",
        "Idempotent-Replayed",
        "Preference-Applied",
        "X-RateLimit-Remaining",
    ):
        assert header in exposed
    refused = client.get("/api/v1/sites", headers={"Origin": FRONTEND})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == FRONTEND  # the page can read why
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="igny8"'
    bad = client.get("/api/v1/sites", headers={"Origin": FRONTEND, "Authorization": "Bearer nope"})
    assert bad.headers["WWW-Authenticate"] == 'Bearer realm="igny8", error="invalid_token"'


def test_an_origin_not_listed_gets_no_cors_headers(cors_app, tenant_factory_for):
    tenant = tenant_factory_for(cors_app)
    client = cors_app.test_client()
    answer = client.get(
        "/api/v1/sites", headers={**tenant.headers, "Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in answer.headers
    preflight = client.options(
        "/api/v1/sites",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_without_cors_origins_no_origin_is_allowed(app, tenant):
    answer = app.test_client().get("/api/v1/sites", headers={**tenant.headers, "Origin": FRONTEND})
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers


def test_cors_origins_come_from_the_environment_as_a_list(monkeypatch):
    from igny8.config import from_environment

    config = from_environment(
        {"IGNY8_CORS_ORIGINS": "http://localhost:5173, https://app.example.com"}
    )
    assert config["CORS_ORIGINS"] == ("http://localhost:5173", "https://app.example.com")
