"""Content operations through the OpenAI plugin against the local OpenAI server."""

import json

import pytest
from content_support import Api
from metering_support import model_named
from sqlalchemy import select

from igny8 import prompts
from igny8.extensions import db
from igny8.models import (
    Account,
    CreditUsageLog,
    GlobalIntegrationSettings,
    ProviderCredential,
    Task,
)


@pytest.fixture
def api(app, client, tenant, openai_server):
    with app.app_context():
        db.session.add(
            ProviderCredential(
                provider="openai", api_key="sk-test", base_url=openai_server.url + "/v1"
            )
        )
        GlobalIntegrationSettings.get().default_text_model = model_named("gpt-4o-mini")
        prompts.populate()
        db.session.commit()
    app.config.update(PROVIDER_RETRY_BASE_DELAY=0.001)
    return Api(client, tenant)


def add_keywords(api, keywords):
    return [
        k["id"]
        for k in api("post", "/api/v1/sites/{site}/keywords", {"keywords": keywords}, 201)["items"]
    ]


def sent_prompt(server):
    return server.requests[-1]["json"]["messages"][-1]["content"]


def test_clustering_rules_with_a_real_model_answer(api, openai_server):
    add_keywords(api, ["a shoes", "b shoes", "c shoes", "d shoes", "e socks", "f socks", "g watch"])
    openai_server.reply_json = {
        "clusters": [
            {
                "name": "Shoes",
                "description": "d",
                "keywords": ["a shoes", "B Shoes", "c shoes", "invented"],
            },
            {
                "name": "More shoes",
                "keywords": ["a shoes", "d shoes", "e socks", "f socks"],
            },  # a: already taken
            {"name": "Too small", "keywords": ["g watch", "zzz"]},
        ]
    }
    run = api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    assert run["results"][0]["clustered"] == 6 and run["results"][0]["unclustered"] == 1
    clusters = {
        c["name"]: sorted(k["keyword"] for k in c["keywords"])
        for c in api("get", "/api/v1/sites/{site}/clusters")["items"]
    }
    assert clusters == {
        "Shoes": ["a shoes", "b shoes", "c shoes"],
        "More shoes": ["d shoes", "e socks", "f socks"],
    }
    sent = openai_server.requests[-1]["json"]
    assert sent["response_format"] == {"type": "json_object"}
    assert "- a shoes\n- b shoes" in sent_prompt(openai_server)


def test_json_in_code_fences_is_accepted(api, openai_server):
    add_keywords(api, ["a1", "a2", "a3"])
    openai_server.reply_text = (
        'Here you go:\n```json\n{"clusters": [{"name": "A", "keywords": ["a1", "a2", "a3"]}]}\n```'
    )
    openai_server.reply_json = None  # the server answers with reply_text even in JSON mode

    def chat(request, behaviour, original=openai_server.chat):
        status, payload, headers = original(request, behaviour)
        payload["choices"][0]["message"]["content"] = openai_server.reply_text
        return status, payload, headers

    openai_server.chat = chat
    run = api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    assert run["run"]["status"] == "succeeded" and run["results"][0]["clustered"] == 3


def test_unparseable_output_fails_the_item_without_charge(app, api, openai_server, tenant):
    ids = add_keywords(api, [f"kw {i}" for i in range(70)])  # two batches of 60 and 10
    openai_server.reply_json = {
        "clusters": [{"name": "X", "keywords": [f"kw {i}" for i in range(3)]}]
    }
    original = openai_server.chat
    calls = {"n": 0}

    def chat(request, behaviour):
        calls["n"] += 1
        status, payload, headers = original(request, behaviour)
        if calls["n"] == 2:
            payload["choices"][0]["message"]["content"] = "I cannot help with that."
        return status, payload, headers

    openai_server.chat = chat
    app.config["RUN_ITEM_CONCURRENCY"] = 1  # "the second call" is the second batch's
    run = api("post", "/api/v1/sites/{site}/keywords/cluster", {"keyword_ids": ids}, 200)
    assert run["run"]["status"] == "partial"
    assert [r["status"] for r in run["results"]] == ["succeeded", "failed"]
    assert run["results"][1]["error"]["code"] == "bad_response"
    with app.app_context():
        logs = (
            db.session.execute(select(CreditUsageLog).order_by(CreditUsageLog.id)).scalars().all()
        )
        assert [(row.status, row.credits_used) for row in logs] == [("success", 2), ("failed", 0)]
        assert logs[1].cost_usd_total > 0  # the tokens were paid for
        assert db.session.get(Account, tenant.account_id).credits == 998


def test_ideas_and_content_with_the_tasks_model_override(app, api, openai_server):
    add_keywords(api, ["k1", "k2", "k3"])
    openai_server.reply_json = {"clusters": [{"name": "K", "keywords": ["k1", "k2", "k3"]}]}
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    cluster_id = api("get", "/api/v1/sites/{site}/clusters")["items"][0]["id"]
    idea = {
        "title": "All about k1",
        "description": "d",
        "content_structure": "guide",
        "outline": [{"heading": "One"}, {"heading": "Two"}, {"heading": "Three"}],
        "primary_keyword": "K1",
        "covered_keywords": ["k2", "k3"],
        "target_word_count": 900,
    }
    openai_server.reply_json = {"ideas": [idea, {**idea, "title": "B"}]}  # too few ideas
    # every item's output unusable: the run failed at the provider, a 502 with the run
    failed = api("post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": [cluster_id]}, 502)
    assert failed["error"]["code"] == "provider_error"
    assert failed["error"]["details"]["results"][0]["error"]["code"] == "bad_response"
    openai_server.reply_json = {"ideas": [idea, {**idea, "title": "B"}, {**idea, "title": "C"}]}
    api("post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": [cluster_id]}, 200)
    ideas = api("get", "/api/v1/sites/{site}/ideas")["items"]
    assert ideas[0]["primary_keyword"] == "k1" and ideas[0]["outline"][1]["heading"] == "Two"
    task = api("post", "/api/v1/sites/{site}/tasks", {"idea_ids": [ideas[0]["id"]]}, 201)["items"][
        0
    ]
    with app.app_context():
        db.session.get(Task, task["id"]).model_config = model_named("gpt-4.1")
        db.session.commit()
    openai_server.reply_json = {
        "title": "K1 guide",
        "meta_description": "m",
        "html": "<h2>One</h2><p>alpha beta gamma</p><script>x()</script>",
    }
    run = api("post", "/api/v1/sites/{site}/tasks/content", {"task_ids": [task["id"]]}, 200)
    assert (run["run"]["status"], run["results"][0]["word_count"]) == ("succeeded", 4)
    assert openai_server.requests[-1]["json"]["model"] == "gpt-4.1"  # the task's override
    assert "1. One\n2. Two\n3. Three" in sent_prompt(openai_server)
    content = api("get", f"/api/v1/content/{run['results'][0]['content_id']}")
    assert "<script>" not in content["html"]


def test_an_account_prompt_override_is_what_the_model_receives(api, openai_server):
    add_keywords(api, ["k1", "k2", "k3"])
    custom = "MY HOUSE STYLE for {{ site_name }}:\n{% for keyword in keywords %}- {{ keyword }}\n{% endfor %}"
    assert (
        api("put", "/api/v1/prompts/clustering", {"template": custom}, 200)["source"] == "account"
    )
    openai_server.reply_json = {"clusters": []}
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    assert sent_prompt(openai_server).startswith("MY HOUSE STYLE for Site")
    assert api("delete", "/api/v1/prompts/clustering", None, 200)["source"] == "global"
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    assert "You are an SEO strategist" in sent_prompt(openai_server)


def test_image_generation_through_openai(app, api, openai_server):
    with app.app_context():
        GlobalIntegrationSettings.get().default_image_model = model_named("gpt-image-1")
        db.session.commit()
    add_keywords(api, ["k1", "k2", "k3"])
    openai_server.reply_json = {"clusters": [{"name": "K", "keywords": ["k1", "k2", "k3"]}]}
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    cluster_id = api("get", "/api/v1/sites/{site}/clusters")["items"][0]["id"]
    idea = {
        "title": "T",
        "content_structure": "guide",
        "outline": [{"heading": "A"}] * 3,
        "primary_keyword": "k1",
        "target_word_count": 900,
    }
    openai_server.reply_json = {"ideas": [idea] * 3}
    api("post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": [cluster_id]}, 200)
    idea_id = api("get", "/api/v1/sites/{site}/ideas")["items"][0]["id"]
    task = api("post", "/api/v1/sites/{site}/tasks", {"idea_ids": [idea_id]}, 201)["items"][0]
    openai_server.reply_json = {"title": "T", "html": "<h2>A</h2><p>text here</p>"}
    content_id = api("post", "/api/v1/sites/{site}/tasks/content", {"task_ids": [task["id"]]}, 200)[
        "results"
    ][0]["content_id"]
    plan = {"prompt": "p", "caption": "c", "alt": "a"}
    openai_server.reply_json = {"featured": plan, "in_article": [plan, plan]}
    api("post", "/api/v1/sites/{site}/content/image-prompts", {"content_ids": [content_id]}, 200)
    image_ids = [i["id"] for i in api("get", f"/api/v1/content/{content_id}")["images"]]
    run = api("post", "/api/v1/sites/{site}/images/generate", {"image_ids": image_ids[:1]}, 200)
    # gpt-image-1's credits follow its bill: 50 x $5 + 4,160 x $40 per 1M = $0.16665, one
    # credit being 200 tokens at the average of $5 and $40 per 1M ($0.0045): 37.03 -> 38
    assert run["run"]["model"] == "gpt-image-1" and run["run"]["credits_used"] == 38
    assert json.loads(json.dumps(openai_server.requests[-1]["json"]))["model"] == "gpt-image-1"
    with app.app_context():
        log = db.session.execute(
            select(CreditUsageLog).where(CreditUsageLog.operation == "image_generation")
        ).scalar_one()
        # 50 text input tokens x $5/1M + 4,160 image output tokens x $40/1M
        assert (log.images, log.image_output_tokens) == (1, 4160)
        assert (str(log.cost_usd_input), str(log.cost_usd_images)) == ("0.00025000", "0.16640000")
        assert str(log.cost_usd_total) == "0.16665000"


def test_optimization_and_linking_through_openai(app, api, openai_server):
    add_keywords(api, ["k1", "k2", "k3"])
    openai_server.reply_json = {"clusters": [{"name": "K", "keywords": ["k1", "k2", "k3"]}]}
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    cluster_id = api("get", "/api/v1/sites/{site}/clusters")["items"][0]["id"]
    idea = {
        "title": "T",
        "content_structure": "guide",
        "outline": [{"heading": "A"}] * 3,
        "primary_keyword": "k1",
        "target_word_count": 900,
    }
    openai_server.reply_json = {
        "ideas": [idea, {**idea, "primary_keyword": "k2"}, {**idea, "primary_keyword": "k3"}]
    }
    api("post", "/api/v1/sites/{site}/clusters/ideas", {"cluster_ids": [cluster_id]}, 200)
    ideas = [i["id"] for i in api("get", "/api/v1/sites/{site}/ideas")["items"][:2]]
    tasks = [
        t["id"]
        for t in api("post", "/api/v1/sites/{site}/tasks", {"idea_ids": ideas}, 201)["items"]
    ]
    openai_server.reply_json = {
        "title": "Article",
        "html": "<h2>Intro</h2><p>All about k1 and also k2 here.</p>",
    }
    run = api("post", "/api/v1/sites/{site}/tasks/content", {"task_ids": tasks}, 200)
    first, second = (r["content_id"] for r in run["results"])

    openai_server.reply_json = {
        "html": "<h2>k1 explained</h2><p>k1 first: all about k1 and also k2 here.</p>"
    }
    optimized = api("post", "/api/v1/sites/{site}/content/optimize", {"content_ids": [first]}, 200)[
        "results"
    ][0]
    assert (
        optimized["keywords"] == ["k1"]
        and optimized["score_after"] == 100 > optimized["score_before"]
    )

    openai_server.reply_json = {
        "links": [
            {"target": f"[{second}] k2", "anchor_text": "also k2"},
            {"target": f"[{first}] k1", "anchor_text": "k1"},  # self: ignored
            {"target": "[999999] x", "anchor_text": "here"},
        ]
    }  # invented: ignored
    linked = api("post", "/api/v1/sites/{site}/content/link", {"content_ids": [first]}, 200)[
        "results"
    ][0]
    assert [link["anchor_text"] for link in linked["links"]] == ["also k2"]
    assert linked["links"][0]["target_content_id"] == second
    html = api("get", f"/api/v1/content/{first}")["html"]
    assert '<a href="https://' in html and ">also k2</a>" in html
