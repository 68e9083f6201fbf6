"""The /api/v1 skeleton: error envelope, token auth, health, me, modules, models, pagination, scoping."""

import types

import pytest
from flask import Blueprint, jsonify, request
from metering_support import CATALOG_TEXT_MODELS

from igny8 import accounts, hookimpl
from igny8.api.scoping import get_owned
from igny8.extensions import db
from igny8.models import Account, ApiToken, Site, User

# The models the loaded provider plugins declare, less the one past its end of life.
CATALOG_ACTIVE = 39


def error_of(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and response.is_json
    body = response.json
    assert set(body) == {"type", "title", "status", "detail", "code", "errors", "error"}
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:igny8:error:{code}")
    assert set(body["error"]) == {"code", "message", "details"}  # the earlier envelope, kept
    assert body["error"]["code"] == code and body["error"]["message"] == body["detail"]
    return body["error"]


def probe_plugin():
    """A plugin whose routes exercise JSON bodies, crashes and tenant scoping."""
    module = types.ModuleType("probe")

    def register_blueprints(app):
        bp = Blueprint("probe", __name__, url_prefix="/api/v1/probe")

        @bp.post("/echo")
        def echo():
            return jsonify(request.get_json())

        @bp.get("/crash")
        def crash():
            raise RuntimeError("secret internals")

        @bp.get("/sites/<int:site_id>")
        def site(site_id):
            return jsonify({"name": get_owned(Site, site_id).name})

        app.register_blueprint(bp)

    module.igny8_register_blueprints = hookimpl(register_blueprints)
    return module


@pytest.fixture
def probe(make_app):
    return make_app(EXTRA_PLUGINS=[probe_plugin()])


def test_unknown_path_and_wrong_method_use_the_envelope(client, tenant):
    error_of(client.get("/api/v1/does-not-exist", headers=tenant.headers), 404, "not_found")
    error = error_of(client.delete("/api/v1/me", headers=tenant.headers), 405, "method_not_allowed")
    assert "GET" in error["details"]["allowed_methods"]


def test_pages_outside_the_api_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and not response.is_json


def test_malformed_json_is_a_bad_request(probe, tenant_factory_for):
    tenant = tenant_factory_for(probe)
    client = probe.test_client()
    response = client.post(
        "/api/v1/probe/echo",
        data="{not json",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    error_of(response, 400, "bad_request")
    ok = client.post("/api/v1/probe/echo", json={"a": 1}, headers=tenant.headers)
    assert ok.json == {"a": 1}


def test_unhandled_error_is_a_500_envelope_without_internals(probe, tenant_factory_for):
    tenant = tenant_factory_for(probe)
    probe.config["PROPAGATE_EXCEPTIONS"] = False
    response = probe.test_client().get("/api/v1/probe/crash", headers=tenant.headers)
    error = error_of(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert error["message"] == "Internal server error"


def test_another_tenants_object_is_not_found(probe, tenant_factory_for):
    mine, theirs = tenant_factory_for(probe), tenant_factory_for(probe)
    client = probe.test_client()
    assert (
        client.get(f"/api/v1/probe/sites/{mine.site_id}", headers=mine.headers).status_code == 200
    )
    error_of(
        client.get(f"/api/v1/probe/sites/{theirs.site_id}", headers=mine.headers), 404, "not_found"
    )
    error_of(client.get("/api/v1/probe/sites/999999", headers=mine.headers), 404, "not_found")


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer igny8_wrong", "bearer "])
def test_missing_or_bad_token_is_401(client, tenant, header):
    headers = {"Authorization": header} if header is not None else {}
    error_of(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_revoked_token_and_inactive_user_or_account(app, client, tenant):
    assert client.get("/api/v1/me", headers=tenant.headers).status_code == 200
    with app.app_context():
        db.session.get(Account, tenant.account_id).is_active = False
        db.session.commit()
    error_of(client.get("/api/v1/me", headers=tenant.headers), 403, "forbidden")
    with app.app_context():
        db.session.get(Account, tenant.account_id).is_active = True
        db.session.get(User, tenant.user_id).is_active = False
        db.session.commit()
    error_of(client.get("/api/v1/me", headers=tenant.headers), 401, "unauthorized")
    with app.app_context():
        db.session.get(User, tenant.user_id).is_active = True
        db.session.execute(db.update(ApiToken).values(is_active=False))
        db.session.commit()
    error_of(client.get("/api/v1/me", headers=tenant.headers), 401, "unauthorized")


def test_token_use_is_recorded(app, client, tenant):
    client.get("/api/v1/me", headers=tenant.headers)
    with app.app_context():
        assert db.session.execute(db.select(ApiToken.last_used_at)).scalar_one() is not None


def test_me(client, tenant, app):
    body = client.get("/api/v1/me", headers=tenant.headers).json
    assert body["account"]["id"] == tenant.account_id
    assert body["account"]["credits"] == 1000
    assert body["account"]["plan"]["slug"] == "starter"
    assert body["user"]["id"] == tenant.user_id
    assert "password_hash" not in str(body)


def test_user_without_account(app, client):
    with app.app_context():
        token = accounts.issue_token(
            accounts.create_user("root@x.test", "password1", is_superuser=True)
        )
        db.session.commit()
    body = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert body["account"] is None and body["user"]["is_superuser"] is True


def test_modules_lists_the_seven_builtins_enabled(client, tenant):
    body = client.get("/api/v1/modules", headers=tenant.headers).json
    assert body["total"] == 7 and body["page"] == 1
    assert {m["key"]: m["enabled"] for m in body["items"]} == dict.fromkeys(
        ["clustering", "ideas", "images", "linker", "optimizer", "publisher", "writer"], True
    )
    assert all(m["title"] and m["description"] for m in body["items"])


def test_models_filtered_by_type_with_prices_as_strings(client, tenant):
    body = client.get("/api/v1/models?type=text&per_page=100", headers=tenant.headers).json
    names = [m["model_name"] for m in body["items"]]
    # The catalogs' text models, but for claude-sonnet-4-5 (past its end of life), and the
    # offline one (which the price oracle does not know).
    assert set(names) == (CATALOG_TEXT_MODELS - {"claude-sonnet-4-5"}) | {"offline-text"}
    mini = next(m for m in body["items"] if m["model_name"] == "gpt-4o-mini")
    assert mini["cost_per_1k_input"] == "0.0001500000" and mini["tokens_per_credit"] == 10000
    images = client.get("/api/v1/models?type=image&per_page=100", headers=tenant.headers).json
    assert {m["model_type"] for m in images["items"]} == {"image"} and images["total"] == 5
    error_of(
        client.get("/api/v1/models?type=video", headers=tenant.headers), 422, "validation_error"
    )


def test_inactive_models_are_hidden(app, client, tenant):
    with app.app_context():
        db.session.execute(
            db.update(db.metadata.tables["ai_model_configs"])
            .where(db.metadata.tables["ai_model_configs"].c.model_name == "gpt-4o")
            .values(is_active=False)
        )
        db.session.commit()
    names = [
        m["model_name"]
        for m in client.get("/api/v1/models?per_page=100", headers=tenant.headers).json["items"]
    ]
    assert "gpt-4o" not in names and len(names) == CATALOG_ACTIVE - 1


def test_pagination(client, tenant):
    first = client.get("/api/v1/models?per_page=4", headers=tenant.headers).json
    second = client.get("/api/v1/models?per_page=4&page=3", headers=tenant.headers).json
    assert (first["total"], len(first["items"]), first["per_page"]) == (CATALOG_ACTIVE, 4, 4)
    assert len(second["items"]) == 4 and second["page"] == 3
    assert client.get("/api/v1/models?page=9", headers=tenant.headers).json["items"] == []
    for bad in ("page=0", "per_page=0", "per_page=101", "page=x"):
        error_of(
            client.get(f"/api/v1/models?{bad}", headers=tenant.headers), 422, "validation_error"
        )


def test_health_is_public_and_reports_checks(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    checks = {c["name"]: c for c in response.json["checks"]}
    assert {"database", "migrations", "encryption_key", "plugins"} <= set(checks)
    assert all(c["ok"] for c in checks.values())
    assert "clustering" in checks["plugins"]["detail"]


def test_health_reports_a_missing_encryption_key(make_app):
    response = make_app(ENCRYPTION_KEY=None).test_client().get("/api/v1/health")
    assert response.status_code == 503
    check = next(c for c in response.json["checks"] if c["name"] == "encryption_key")
    assert not check["ok"] and "not set" in check["detail"]


def test_models_carry_their_whole_price(client, tenant):
    items = client.get("/api/v1/models?type=image&per_page=100", headers=tenant.headers).json[
        "items"
    ]
    dalle = next(m for m in items if m["model_name"] == "dall-e-3")
    assert dalle["pricing"]["image_prices"]["1024x1792/hd"] == "0.12"
    assert dalle["image_credits"]["1024x1792/hd"] == 15 and dalle["credit_rule"] == "images"
    gpt_image = next(m for m in items if m["model_name"] == "gpt-image-1")
    # its credits follow its bill (docs/metering.md)
    assert gpt_image["credit_rule"] == "cost" and gpt_image["max_output_tokens"] == 6240


def test_field_errors_come_with_json_pointers_and_query_parameters(client, tenant):
    bad = client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords",
        json={"keywords": [{"keyword": "ok"}, {"keyword": "", "volume": -1}]},
        headers=tenant.headers,
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    pointers = {e["pointer"] for e in bad.json["errors"]}
    assert {"/keywords/1/keyword", "/keywords/1/volume"} <= pointers
    query = client.get(f"/api/v1/sites/{tenant.site_id}/keywords?sort=nope", headers=tenant.headers)
    assert query.json["errors"] == [
        {"parameter": "sort", "detail": query.json["errors"][0]["detail"]}
    ]
