"""The OpenAPI document's response schemas are the answers' truth: a walk through a
frontend's pages (sign-in, sites, keywords, an AI run, clusters, ideas, content and its
revisions, images, publications, users, tokens, notifications, runs) checks every JSON
success answer against the schema documented for its route and status (JSON Schema
2020-12, as OpenAPI 3.1 uses), and counts the routes it saw."""

import pytest
from content_support import KEYWORDS, use_offline
from jsonschema import Draft202012Validator
from test_edits_api import seed
from test_sign_in import sign_in, with_password

from igny8.api.openapi import build


class CheckedClient:
    """A test client whose every JSON success answer is validated against the document."""

    def __init__(self, app, client, document):
        self.app, self.client, self.document = app, client, document
        self.adapter = app.url_map.bind("localhost")
        self.checked: set[tuple[str, str]] = set()

    def _schema(self, path: str, method: str, status: int):
        endpoint, _ = self.adapter.match(path, method=method)
        rule = next(r for r in self.app.url_map.iter_rules(endpoint) if method in r.methods)
        template = rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}")
        operation = self.document["paths"][template][method.lower()]
        found = operation["responses"].get(str(status))
        assert found is not None, f"{method} {template} answered {status}, not documented"
        schema = found.get("content", {}).get("application/json", {}).get("schema")
        return template, schema

    def __call__(self, method, path, expect, **kwargs):
        answer = self.client.open(path, method=method, **kwargs)
        assert answer.status_code == expect, (method, path, answer.status_code, answer.json)
        template, schema = self._schema(path.split("?")[0], method, answer.status_code)
        if answer.status_code != 204:
            assert schema is not None, f"{method} {template} has no response schema"
            validator = Draft202012Validator({**schema, "components": self.document["components"]})
            errors = sorted(validator.iter_errors(answer.json), key=lambda e: e.path)
            assert not errors, (method, template, [e.message for e in errors[:3]])
        self.checked.add((method, template))
        return answer.json


@pytest.fixture
def api(app, client):
    with app.app_context():
        document = build(app)
    return CheckedClient(app, client, document)


def test_every_route_documents_its_success_answer(app):
    """A generated client types a route's result from its success response: none may be a
    bare description (a 204 has no body; a stream or an image says its media type)."""
    with app.app_context():
        document = build(app)
    bare = [
        (method.upper(), path, status)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status not in ("default", "204") and "content" not in answer
    ]
    assert bare == []
    streams = document["paths"]["/api/v1/events"]["get"]["responses"]["200"]["content"]
    events = streams["text/event-stream"]["schema"]["x-events"]
    assert events == {
        "run": {"$ref": "#/components/schemas/RunEventOut"},
        "notification": {"$ref": "#/components/schemas/NotificationEventOut"},
    }
    assert {"RunEventOut", "NotificationEventOut", "RunBodyOut"} <= set(
        document["components"]["schemas"]
    )


def test_every_answer_of_a_frontends_walk_matches_its_documented_schema(app, api, make_tenant):
    tenant = make_tenant(plan="growth")  # a plan that may override its AI settings
    use_offline(app)
    rows = seed(app, tenant)
    email = with_password(app, tenant)
    session = sign_in(api.client, email).json
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    site = f"/api/v1/sites/{tenant.site_id}"

    api("GET", "/api/v1/auth/session", 200)
    api("GET", "/api/v1/me", 200)
    api("GET", "/api/v1/sites", 200)
    api("GET", site, 200)
    api("PATCH", site, 200, json={"name": "Renamed"}, headers=csrf)
    added = api("POST", f"{site}/keywords", 201, json={"keywords": KEYWORDS}, headers=csrf)
    api("GET", f"{site}/keywords?q=running&sort=-volume", 200)
    keyword = added["items"][0]["id"]
    api("GET", f"{site}/keywords/{keyword}", 200)
    api("PATCH", f"{site}/keywords/{keyword}", 200, json={"volume": 5}, headers=csrf)
    clustered = api(
        "POST", f"{site}/keywords/cluster", 200, json={}, headers={**csrf, "Prefer": "wait=30"}
    )
    api("GET", f"/api/v1/runs/{clustered['run']['id']}", 200)
    api("GET", "/api/v1/runs?status=succeeded", 200)
    api("GET", f"{site}/clusters", 200)
    api("GET", f"{site}/clusters/{rows['bread']}", 200)
    api("PATCH", f"{site}/clusters/{rows['bread']}", 200, json={"name": "B"}, headers=csrf)
    api(
        "POST",
        f"{site}/clusters/{rows['bread']}/merge",
        200,
        json={"cluster_ids": [rows["cake"]]},
        headers=csrf,
    )
    ideas = api("GET", f"{site}/ideas", 200)
    api("GET", f"{site}/ideas/{ideas['items'][0]['id']}", 200)
    api("GET", f"{site}/tasks", 200)
    api("GET", f"{site}/content", 200)
    content = f"{site}/content/{rows['content']}"
    api("GET", f"/api/v1/content/{rows['content']}?figures=true", 200)
    api("PATCH", content, 200, json={"html": "<p>new</p>"}, headers=csrf)
    revisions = api("GET", f"{content}/revisions", 200)
    api("GET", f"{content}/revisions/{revisions['items'][0]['id']}", 200)
    api("GET", f"{site}/images", 200)
    api("PATCH", f"{site}/images/{rows['image']}", 200, json={"alt": "a loaf"}, headers=csrf)
    api("GET", f"{site}/publications", 200)
    api("GET", "/api/v1/users", 200)
    api(
        "POST",
        "/api/v1/users",
        201,
        json={"email": "new@example.test", "role": "viewer"},
        headers=csrf,
    )
    api("GET", "/api/v1/health", 200)
    api("GET", "/api/v1/modules", 200)
    api("GET", "/api/v1/models?type=text", 200)
    api("GET", "/api/v1/settings/integration", 200)
    api("PUT", "/api/v1/settings/integration", 200, json={"temperature": 0.5}, headers=csrf)
    api("GET", "/api/v1/prompts", 200)
    api(
        "PUT",
        "/api/v1/prompts/clustering",
        200,
        json={"template": "Cluster {{ site_name }}"},
        headers=csrf,
    )
    api("POST", "/api/v1/prompts/clustering/preview", 200, json={}, headers=csrf)
    api("DELETE", "/api/v1/prompts/clustering", 200, headers=csrf)
    api("GET", "/api/v1/credits?type=hold", 200)
    api("GET", "/api/v1/usage?group_by=model", 200)
    queued = api(
        "POST", f"{site}/tasks", 201, json={"idea_ids": [ideas["items"][0]["id"]]}, headers=csrf
    )
    api("GET", f"{site}/tasks?status=queued&q=about", 200)
    assert queued["created"] == 1
    api("POST", f"{content}/revisions/{revisions['items'][0]['id']}/restore", 200, headers=csrf)
    api("POST", "/api/v1/auth/password-reset", 202, json={"email": email})
    api("GET", "/api/v1/tokens", 200)
    api("POST", "/api/v1/tokens", 201, json={"name": "ci"}, headers=csrf)
    api("GET", "/api/v1/notifications", 200)
    api("POST", "/api/v1/notifications/read", 200, headers=csrf)
    api("POST", f"{site}/keywords/bulk-delete", 200, json={"ids": [keyword]}, headers=csrf)
    api("DELETE", f"{site}/ideas/{ideas['items'][0]['id']}", 204, headers=csrf)
    api("POST", "/api/v1/auth/sign-out", 204, headers=csrf)
    assert len(api.checked) >= 50
