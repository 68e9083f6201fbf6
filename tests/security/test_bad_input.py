"""Bad input never 500s: numbers past a column, NUL and lone surrogates, huge pages and
dates, oversized bodies and lists are clear 4xx answers on both databases."""

import json

import pytest


def test_ids_past_an_integer_column_are_404(client, tenant):
    for site_id in (2**31, 2**63, 10**30):
        answer = client.get(f"/api/v1/sites/{site_id}", headers=tenant.headers)
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path, body, says",
    [
        ("/keywords", {"keywords": [{"keyword": "shoes", "volume": 2**40}]}, "out of range"),
        ("/keywords", {"keywords": ["trail\x00shoes"]}, "NUL character"),
        ("/keywords/cluster", {"keyword_ids": [2**63]}, "out of range"),
        ("", {"name": "x" * 10, "url": "https://example.test/" + "a" * 600}, "request body"),
        ("", {"name": "Site\x00", "url": "https://example.test/"}, "NUL character"),
    ],
)
def test_values_no_column_can_hold_are_422(client, tenant, path, body, says):
    url = f"/api/v1/sites/{tenant.site_id}{path}" if path else f"/api/v1/sites/{tenant.site_id}"
    method = client.post if path else client.patch
    answer = method(url, json=body, headers=tenant.headers)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.json["error"]["code"] == "validation_error"
    assert says in answer.json["error"]["message"]


def test_a_lone_surrogate_is_422(client, tenant):
    raw = '{"keywords": ["\\ud800 shoes"]}'  # valid JSON, not valid Unicode
    answer = client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords",
        data=raw,
        content_type="application/json",
        headers=tenant.headers,
    )
    assert answer.status_code == 422 and "lone surrogate" in answer.json["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "page=1000000000000",
        "page=99999999999999999999999",
        "per_page=100000000000",
        "page=%00",
    ],
)
def test_pages_past_any_list_are_422(client, tenant, query):
    answer = client.get(f"/api/v1/sites?{query}", headers=tenant.headers)
    assert answer.status_code == 422


@pytest.mark.parametrize(
    "query", ["end=9999-12-31", "start=0001-01-05", "start=0001-01-01&end=0001-01-02"]
)
def test_dates_at_the_calendars_edges_are_an_empty_report_not_an_error(client, tenant, query):
    answer = client.get(f"/api/v1/usage?{query}", headers=tenant.headers)
    assert answer.status_code == 200, answer.json
    assert answer.json["items"] == [] and answer.json["totals"]["calls"] == 0
    assert client.get(f"/api/v1/credits?{query}", headers=tenant.headers).status_code == 200


def test_the_admin_sign_in_refuses_nul_without_a_500(app, client):
    page = client.get("/admin/login").get_data(as_text=True)
    answer = client.post(
        "/admin/login",
        data={"email": "root\x00@igny8.test", "password": "x", "csrf_token": page[:1]},
    )
    assert answer.status_code == 422


def test_a_body_over_the_cap_is_413(app, tenant_factory_for):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    tenant = tenant_factory_for(app)
    body = json.dumps({"keywords": ["k" * 50] * 500})
    answer = app.test_client().post(
        f"/api/v1/sites/{tenant.site_id}/keywords",
        data=body,
        content_type="application/json",
        headers=tenant.headers,
    )
    assert answer.status_code == 413 and answer.json["error"]["code"] == "payload_too_large"


def test_a_keyword_list_past_the_plan_is_refused_before_it_is_read(client, tenant):
    # 100,000 keywords on a 1,000-keyword plan (under the 1 MB body cap)
    body = {"keywords": [str(n) for n in range(100_000)]}
    answer = client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords", json=body, headers=tenant.headers
    )
    assert answer.status_code == 403
    assert answer.json["error"]["details"] == {"sent": 100_000}
