"""Odd input: query arguments of the wrong type in admin are 400, never 500; JSON nested
too deep is 422; a flood of bad API tokens from one address is 429."""

# ruff: noqa: F811

from test_admin import admin, admin_user  # noqa: F401  (fixtures)


def model_views(app):
    from flask_admin.contrib.sqla import ModelView

    admin_ext = app.extensions["admin"][0]
    return [v for v in admin_ext._views if isinstance(v, ModelView)]


def test_admin_arguments_of_the_wrong_type_are_400_not_500(app, admin):
    checked = 0
    for view in model_views(app):
        base = view.url
        for path in (
            f"{base}/details/?id=abc",
            f"{base}/edit/?id=abc",
            f"{base}/details/?id=99999999999",
            f"{base}/?page=abc",
            f"{base}/?sort=abc",
            f"{base}/?page_size=abc",
            f"{base}/?flt0_0=abc&flt1_1=notadate",
        ):
            status = admin.get(path).status_code
            assert status < 500, f"{path}: {status}"
            checked += 1
    assert checked > 100


def test_json_nested_too_deep_is_422(client, tenant):
    for depth in (33, 500, 5000, 100_000):
        body = '{"keywords": ' + "[" * depth + "]" * depth + "}"
        answer = client.post(
            f"/api/v1/sites/{tenant.site_id}/keywords",
            data=body,
            headers={**tenant.headers, "Content-Type": "application/json"},
        )
        assert answer.status_code == 422, (depth, answer.status_code)
        assert "nests deeper than 32" in answer.json["error"]["message"]


def test_a_flood_of_bad_tokens_from_one_address_is_429(app, client, tenant):
    app.config["AUTH_FAILURE_RATE_LIMIT"] = "10 per minute"
    codes = [
        client.get("/api/v1/me", headers={"Authorization": f"Bearer bad-{n}"}).status_code
        for n in range(15)
    ]
    assert codes == [401] * 10 + [429] * 5
    # The address's good token is refused too while it lasts (it cannot probe meanwhile).
    blocked = client.get("/api/v1/me", headers=tenant.headers)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"]
    other = client.get(
        "/api/v1/me", headers=tenant.headers, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other.status_code == 200


def test_an_over_long_url_is_414_and_an_over_long_header_431(client, tenant):
    too_long = client.get("/api/v1/sites?q=" + "x" * 4100, headers=tenant.headers)
    assert too_long.status_code == 414
    assert too_long.json["error"]["code"] == "uri_too_long"
    big = client.get("/api/v1/sites", headers={**tenant.headers, "X-Big": "y" * 8200})
    assert big.status_code == 431
    assert big.json["error"]["code"] == "header_too_large"
    assert client.get("/api/v1/sites", headers=tenant.headers).status_code == 200
