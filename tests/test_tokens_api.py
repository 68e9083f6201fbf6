"""The account's API tokens through the API: listed without the token, made (shown once),
revoked (refused at once), and nobody else's."""


def test_tokens_are_listed_made_once_and_revoked(client, tenant, make_tenant):
    listed = client.get("/api/v1/tokens", headers=tenant.headers).json
    assert listed["total"] == 1
    first = listed["items"][0]
    assert first["prefix"] == tenant.token[:12] and first["active"] is True
    assert tenant.token not in str(listed)  # the list never holds a token

    made = client.post("/api/v1/tokens", json={"name": "ci"}, headers=tenant.headers)
    assert made.status_code == 201
    token = made.json["token"]
    assert token.startswith("igny8_") and made.json["prefix"] == token[:12]
    assert made.json["name"] == "ci" and made.json["last_used_at"] is None
    new = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=new).status_code == 200
    again = client.get("/api/v1/tokens", headers=tenant.headers).json
    assert [t["name"] for t in again["items"]] == [first["name"], "ci"]
    assert again["items"][1]["last_used_at"] is not None  # it was just used
    assert token not in str(again)

    other = make_tenant()
    theirs = client.get("/api/v1/tokens", headers=other.headers).json["items"]
    assert [t["id"] for t in theirs] != [t["id"] for t in again["items"]]
    assert (
        client.delete(f"/api/v1/tokens/{made.json['id']}", headers=other.headers).status_code == 404
    )

    assert (
        client.delete(f"/api/v1/tokens/{made.json['id']}", headers=tenant.headers).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=new).status_code == 401  # refused at once
    states = client.get("/api/v1/tokens", headers=tenant.headers).json["items"]
    assert [t["active"] for t in states] == [True, False]


def test_a_token_needs_a_name_of_at_most_80_characters(client, tenant):
    for body in ({}, {"name": ""}, {"name": "x" * 81}, {"name": 5}):
        answer = client.post("/api/v1/tokens", json=body, headers=tenant.headers)
        assert answer.status_code == 422, body
        assert answer.json["error"]["code"] == "validation_error"
    assert client.get("/api/v1/tokens", headers=tenant.headers).json["total"] == 1
