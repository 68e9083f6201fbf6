"""Rate limits: per API token across the API, per address on the admin sign-in form; 429
rate_limited with the standard headers; counts shared through Redis when configured."""

import socket

import pytest
from test_admin import PASSWORD, admin_user, csrf_from  # noqa: F401  (fixtures)


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_a_token_past_its_limit_gets_429_with_the_standard_headers(app, tenant_factory_for):
    app.config["API_RATE_LIMIT"] = "5 per minute"
    tenant, other = tenant_factory_for(app), tenant_factory_for(app)
    client = app.test_client()
    answers = [client.get("/api/v1/sites", headers=tenant.headers) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[0].headers["X-RateLimit-Limit"] == "5"
    assert answers[4].headers["X-RateLimit-Remaining"] == "0"
    # Retry-After says "wait before retrying": not on an answer that was served
    assert all("Retry-After" not in a.headers for a in answers[:5])
    refused = answers[5]
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # shared by every route of the API, the plugins' too
    assert client.get("/api/v1/me", headers=tenant.headers).status_code == 429
    # and counted per token: another account is not held back
    assert client.get("/api/v1/sites", headers=other.headers).status_code == 200


def test_forty_wrong_admin_passwords_are_throttled(app, admin_user):  # noqa: F811
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    statuses = []
    for _ in range(40):
        statuses.append(
            client.post(
                "/admin/login",
                data={
                    "email": "root@igny8.test",
                    "password": "wrong",
                    "csrf_token": csrf_from(page),
                },
            ).status_code
        )
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    # the right password is refused too while the address is throttled
    right = client.post(
        "/admin/login",
        data={"email": "root@igny8.test", "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert right.status_code == 429
    assert client.get("/admin/login").status_code == 200  # the form itself still shows


@pytest.mark.skipif(not redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_counts_are_shared_between_processes_through_redis(make_app, tenant_factory_for):
    # Each test's token is new, so its counts in Redis are its own.
    config = {"API_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    one = make_app(**config)
    tenant = tenant_factory_for(one)
    two = make_app(seeded=False, **config)  # a second app: another process's view of the counts
    headers = tenant.headers
    assert one.test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert two.test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert one.test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert two.test_client().get("/api/v1/me", headers=headers).status_code == 429
