"""/api/v1/openapi.json is generated from the request schemas, validates, and lists every endpoint."""

from openapi_spec_validator import validate

DESIGN_ENDPOINTS = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/credits"),
    ("get", "/api/v1/usage"),
    ("get", "/api/v1/modules"),
    ("get", "/api/v1/models"),
    ("get", "/api/v1/settings/integration"),
    ("put", "/api/v1/settings/integration"),
    ("get", "/api/v1/prompts"),
    ("put", "/api/v1/prompts/{key}"),
    ("delete", "/api/v1/prompts/{key}"),
    ("get", "/api/v1/runs"),
    ("get", "/api/v1/runs/{run_id}"),
    ("post", "/api/v1/runs/{run_id}/cancel"),
    ("get", "/api/v1/runs/{run_id}/events"),
    ("get", "/api/v1/sites"),
    ("post", "/api/v1/sites"),
    ("get", "/api/v1/sites/{site_id}"),
    ("get", "/api/v1/sites/{site_id}/keywords"),
    ("post", "/api/v1/sites/{site_id}/keywords"),
    ("post", "/api/v1/sites/{site_id}/keywords/cluster"),
    ("get", "/api/v1/sites/{site_id}/clusters"),
    ("post", "/api/v1/sites/{site_id}/clusters/ideas"),
    ("get", "/api/v1/sites/{site_id}/ideas"),
    ("get", "/api/v1/sites/{site_id}/tasks"),
    ("post", "/api/v1/sites/{site_id}/tasks"),
    ("post", "/api/v1/sites/{site_id}/tasks/content"),
    ("get", "/api/v1/sites/{site_id}/content"),
    ("get", "/api/v1/content/{content_id}"),
    ("post", "/api/v1/sites/{site_id}/content/image-prompts"),
    ("get", "/api/v1/sites/{site_id}/images"),
    ("post", "/api/v1/sites/{site_id}/images/generate"),
    ("post", "/api/v1/sites/{site_id}/content/optimize"),
    ("post", "/api/v1/sites/{site_id}/content/link"),
    ("post", "/api/v1/sites/{site_id}/content/publish"),
}


def test_openapi_document_is_valid_and_complete(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    listed = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    assert DESIGN_ENDPOINTS <= listed, DESIGN_ENDPOINTS - listed
    assert document["servers"] == [{"url": "/"}]  # paths carry /api/v1


def test_the_document_uses_the_schemas_that_validate_requests(client, tenant):
    document = client.get("/api/v1/openapi.json").json
    body = document["paths"]["/api/v1/sites/{site_id}/keywords"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert document["components"]["schemas"][ref]["required"] == ["keywords"]
    settings = document["paths"]["/api/v1/settings/integration"]["put"]["requestBody"]
    props = document["components"]["schemas"][
        settings["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    ]["properties"]
    assert props["temperature"]["maximum"] == 2
    # ... and the same schema refuses what the document says is out of range
    assert (
        client.put(
            "/api/v1/settings/integration", headers=tenant.headers, json={"temperature": 3}
        ).status_code
        == 422
    )
    assert document["paths"]["/api/v1/health"]["get"].get("security") is None
    assert document["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}, {"session": []}]


def test_request_fields_with_defaults_stay_optional_for_generated_clients(client):
    # openapi-typescript makes a field with a `default` required; the request schemas
    # state their defaults in words, and any-JSON values are spelled out without a cycle.
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    publish = schemas["PublishIn"]["properties"]
    assert "default" not in publish["target"] and "target" not in schemas["PublishIn"]["required"]
    text = str(schemas)
    assert "'default': None" not in text
    assert "#/components/schemas/StorableJson" not in str(schemas["StorableJson"])
