"""Tenant isolation: another account's id answers 404 on every endpoint, in the path or the body."""

import pytest
from content_support import Api, use_offline


@pytest.fixture
def world(app, client, make_tenant):
    use_offline(app)
    mine, theirs = make_tenant(), make_tenant()
    them = Api(client, theirs)
    content_id = them.journey_to_content(n_tasks=2)[0]
    them("post", "/api/v1/sites/{site}/content/image-prompts", {"content_ids": [content_id]}, 200)
    optimized = them(
        "post",
        "/api/v1/sites/{site}/content/optimize",
        {"content_ids": [content_id], "keywords": ["shoes"]},
        200,
    )
    ids = {
        "site": theirs.site_id,
        "keyword": them("get", "/api/v1/sites/{site}/keywords")["items"][0]["id"],
        "cluster": them("get", "/api/v1/sites/{site}/clusters")["items"][0]["id"],
        "idea": them("get", "/api/v1/sites/{site}/ideas")["items"][0]["id"],
        "task": them("get", "/api/v1/sites/{site}/tasks")["items"][0]["id"],
        "content": content_id,
        "image": them("get", "/api/v1/sites/{site}/images")["items"][0]["id"],
        "run": optimized["run"]["id"],
        "revision": optimized["results"][0]["revision_id"],
    }
    return Api(client, mine), ids


PATH_ENDPOINTS = [
    ("get", "/api/v1/sites/{site}", None),
    ("patch", "/api/v1/sites/{site}", {"name": "mine now"}),
    ("get", "/api/v1/sites/{site}/keywords", None),
    ("post", "/api/v1/sites/{site}/keywords", {"keywords": ["x"]}),
    ("post", "/api/v1/sites/{site}/keywords/cluster", {}),
    ("get", "/api/v1/sites/{site}/clusters", None),
    ("post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": ["cluster"]}),
    ("get", "/api/v1/sites/{site}/ideas", None),
    ("get", "/api/v1/sites/{site}/tasks", None),
    ("post", "/api/v1/sites/{site}/tasks", {"idea_ids": ["idea"]}),
    ("post", "/api/v1/sites/{site}/tasks/content", {"task_ids": ["task"]}),
    ("get", "/api/v1/sites/{site}/content", None),
    ("get", "/api/v1/content/{content}", None),
    ("post", "/api/v1/sites/{site}/content/image-prompts", {"content_ids": ["content"]}),
    ("get", "/api/v1/sites/{site}/images", None),
    ("post", "/api/v1/sites/{site}/images/generate", {"image_ids": ["image"]}),
    ("post", "/api/v1/sites/{site}/content/optimize", {"content_ids": ["content"]}),
    ("post", "/api/v1/sites/{site}/content/link", {"content_ids": ["content"]}),
    (
        "post",
        "/api/v1/sites/{site}/content/publish",
        {"content_ids": ["content"], "target": "webhook"},
    ),
    ("post", "/api/v1/sites/{site}/content/{content}/revisions/{revision}/restore", None),
    ("get", "/api/v1/runs/{run}", None),
]


def fill(value, ids):
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [ids[v] if isinstance(v, str) and v in ids else v for v in value]
    return value


ID_NAMES = {"cluster", "idea", "task", "content", "image"}
BODY_ENDPOINTS = [
    (m, p, b)
    for m, p, b in PATH_ENDPOINTS
    if m == "post"
    and b
    and "{content}" not in p
    and any(isinstance(v, list) and set(v) & ID_NAMES for v in b.values())
]


def test_their_ids_answer_404_on_every_endpoint(world):
    """Their ids in the path, and their ids in the body of a request to my own site."""
    me, ids = world
    wrong = []
    for method, path, body in PATH_ENDPOINTS:
        response = getattr(me.client, method)(
            path.format(**ids), json=fill(body, ids), headers=me.tenant.headers
        )
        if response.status_code != 404 or response.json["error"]["code"] != "not_found":
            wrong.append((method, path, response.status_code))
    for method, path, body in BODY_ENDPOINTS:
        response = getattr(me.client, method)(
            path.format(site=me.site), json=fill(body, ids), headers=me.tenant.headers
        )
        if response.status_code != 404:
            wrong.append((method, path, "in body", response.status_code))
    assert wrong == []
    assert len(PATH_ENDPOINTS) == 21 and len(BODY_ENDPOINTS) == 8


def test_lists_show_only_my_rows(world):
    me, ids = world
    assert me("get", "/api/v1/sites")["total"] == 1
    assert me("get", "/api/v1/runs")["total"] == 0
    assert me("get", "/api/v1/usage")["totals"]["calls"] == 0
    assert [r["type"] for r in me("get", "/api/v1/credits")["items"]] == ["grant"]
