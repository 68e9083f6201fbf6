"""Attacks on who may do what, walked over every route of the API (a plugin's included):
a viewer cannot write anywhere, an editor cannot do an owner's work, a write made with a
session cookie but without its CSRF token is refused everywhere, and an origin that is
not listed gets no CORS grant. Each refusal comes before the view runs, so no route can
forget it."""

import re

import pytest
from test_sign_in import sign_in, with_password

from igny8.extensions import db
from igny8.models import User

SAFE = {"GET", "HEAD", "OPTIONS"}
# Writes any member may make about itself or what it reads.
ANY_ROLE = {
    "api.sign_out",
    "api.change_password",
    "api.read_notification",
    "api.read_all_notifications",
}


def writes(app):
    """(method, url, endpoint) for every write route under /api/v1 that needs a caller."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "igny8_public", False):
            continue
        url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods - SAFE):
            found.append((method, url, rule.endpoint))
    return found


def set_role(app, tenant, role):
    with app.app_context():
        db.session.get(User, tenant.user_id).role = role
        db.session.commit()


def test_the_walk_covers_the_core_and_the_modules(app):
    endpoints = {e for _, _, e in writes(app)}
    assert {"api.add_keywords", "api.create_token", "clustering.cluster_keywords"} <= endpoints
    assert "writer.patch_tasks" in endpoints and "images.bulk_delete_images" in endpoints
    assert len(endpoints) > 40


def test_a_viewer_cannot_write_anywhere(app, client, tenant):
    set_role(app, tenant, "viewer")
    for method, url, endpoint in writes(app):
        if endpoint in ANY_ROLE:
            continue
        answer = client.open(url, method=method, json={}, headers=tenant.headers)
        assert answer.status_code == 403, (method, url, answer.status_code)
        assert answer.json["error"]["code"] == "role_required", (method, url)


def test_an_editor_cannot_do_an_owners_work(app, client, tenant):
    set_role(app, tenant, "editor")
    owners = {
        ("POST", "/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/1"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/1"),
        ("DELETE", "/api/v1/users/1"),
        ("PUT", "/api/v1/settings/integration"),
        ("DELETE", "/api/v1/sites/1"),
        ("GET", "/api/v1/tokens"),
    }
    for method, url in owners:
        answer = client.open(url, method=method, json={}, headers=tenant.headers)
        assert answer.status_code == 403, (method, url)
        assert answer.json["error"]["details"]["needed"] == "owner"


def test_no_cookie_write_anywhere_goes_through_without_its_csrf_token(app, tenant):
    email = with_password(app, tenant)
    browser = app.test_client()
    csrf = sign_in(browser, email).json["csrf_token"]
    for method, url, _ in writes(app):
        for headers in ({}, {"X-CSRF-Token": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")}):
            answer = browser.open(url, method=method, json={}, headers=headers)
            assert answer.status_code == 403, (method, url, answer.status_code)
            assert answer.json["error"]["code"] == "csrf_failed", (method, url)
    assert browser.get("/api/v1/me").status_code == 200  # still signed in: nothing ran


@pytest.fixture
def cors_app(make_app):
    return make_app(CORS_ORIGINS=("http://localhost:5173",))


def test_an_origin_not_listed_gets_no_grant_even_with_a_session(cors_app, tenant_factory_for):
    tenant = tenant_factory_for(cors_app)
    email = with_password(cors_app, tenant)
    browser = cors_app.test_client()
    sign_in(browser, email)
    for origin in ("https://evil.example", "http://localhost:5174", "null"):
        answer = browser.get("/api/v1/me", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in answer.headers, origin
        assert "Access-Control-Allow-Credentials" not in answer.headers, origin
        preflight = browser.open(
            "/api/v1/sites",
            method="OPTIONS",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "X-CSRF-Token",
            },
        )
        assert "Access-Control-Allow-Origin" not in preflight.headers, origin
    listed = browser.get("/api/v1/me", headers={"Origin": "http://localhost:5173"})
    assert listed.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert listed.headers["Access-Control-Allow-Credentials"] == "true"
