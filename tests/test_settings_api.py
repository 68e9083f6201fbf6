"""Integration settings (plan override rules) and prompts (validated overrides)."""

import pytest


def with_key(app, provider):
    from igny8.extensions import db
    from igny8.models import ProviderCredential

    with app.app_context():
        db.session.add(ProviderCredential(provider=provider, api_key="sk-test-not-used"))
        db.session.commit()


def test_effective_settings_and_overrides(app, client, make_tenant):
    tenant = make_tenant(plan="growth")
    with_key(app, "anthropic")
    body = client.get("/api/v1/settings/integration", headers=tenant.headers).json
    assert (body["text_model"], body["image_model"], body["temperature"], body["max_tokens"]) == (
        "gpt-4o-mini",
        "dall-e-3",
        0.7,
        8192,
    )
    assert body["can_override"] and all(body["using_global"].values())
    changed = client.put(
        "/api/v1/settings/integration",
        headers=tenant.headers,
        json={"text_model": "claude-haiku-4-5", "temperature": 0.3, "image_size": "1792x1024"},
    ).json
    assert (changed["text_model"], changed["temperature"], changed["image_size"]) == (
        "claude-haiku-4-5",
        0.3,
        "1792x1024",
    )
    assert changed["using_global"] == {
        "text_model": False,
        "image_model": True,
        "temperature": False,
        "max_tokens": True,
        "image_size": False,
        "image_quality": True,
        "image_style": True,
    }
    reset = client.put(
        "/api/v1/settings/integration",
        headers=tenant.headers,
        json={"text_model": None, "temperature": None},
    ).json
    assert reset["text_model"] == "gpt-4o-mini" and reset["temperature"] == 0.7
    assert reset["using_global"]["text_model"] and not reset["using_global"]["image_size"]


def test_a_plan_without_overrides_is_refused(client, make_tenant):
    tenant = make_tenant(plan="free")
    assert (
        client.get("/api/v1/settings/integration", headers=tenant.headers).json["can_override"]
        is False
    )
    response = client.put(
        "/api/v1/settings/integration", headers=tenant.headers, json={"temperature": 0.1}
    )
    assert response.status_code == 403 and response.json["error"]["code"] == "plan_forbids_override"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"text_model": "no-such-model"}, "text_model"),
        ({"text_model": "dall-e-3"}, "text_model"),  # an image model as the text model
        ({"image_model": "gpt-4o"}, "image_model"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": "lots"}, "max_tokens"),
        ({"image_size": "1x1"}, "image_size"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_are_422(client, tenant, body, field):
    response = client.put("/api/v1/settings/integration", headers=tenant.headers, json=body)
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"
    assert field in str(response.json["error"])


def test_inactive_model_is_422(app, client, tenant):
    from metering_support import model_named

    from igny8.extensions import db

    with app.app_context():
        model_named("gpt-4.1").is_active = False
        db.session.commit()
    response = client.put(
        "/api/v1/settings/integration", headers=tenant.headers, json={"text_model": "gpt-4.1"}
    )
    assert response.status_code == 422


def test_prompts_list_override_and_reset(app, client, tenant):
    from igny8 import prompts
    from igny8.extensions import db

    with app.app_context():
        prompts.populate()
        db.session.commit()
    listed = {
        p["key"]: p for p in client.get("/api/v1/prompts", headers=tenant.headers).json["items"]
    }
    assert set(listed) == {
        "clustering",
        "idea_generation",
        "content_generation",
        "image_prompt_extraction",
        "optimization",
        "linking",
    }
    assert listed["clustering"]["source"] == "global" and listed["clustering"]["variables"] == [
        "site_name",
        "keywords",
    ]
    put = client.put(
        "/api/v1/prompts/clustering",
        headers=tenant.headers,
        json={"template": "Cluster {{ keywords | join(', ') }}"},
    )
    assert put.status_code == 200 and put.json["is_overridden"]
    other = client.get(
        "/api/v1/prompts", headers={"Authorization": tenant.headers["Authorization"]}
    ).json
    assert {p["key"]: p["source"] for p in other["items"]}["clustering"] == "account"
    reset = client.delete("/api/v1/prompts/clustering", headers=tenant.headers)
    assert reset.json["source"] == "global" and not reset.json["is_overridden"]


@pytest.mark.parametrize(
    "template, message",
    [
        ("Cluster {{ secret_sauce }}", "unknown variable(s) secret_sauce"),
        ("Cluster {% for k in keywords %}{{ k }}", "template syntax error"),
        (
            "{{ keywords.__class__.__mro__ }}",
            None,
        ),  # sandboxed: attribute access is rendered safely or refused
    ],
)
def test_bad_prompt_templates_are_refused(app, client, tenant, template, message):
    response = client.put(
        "/api/v1/prompts/clustering", headers=tenant.headers, json={"template": template}
    )
    if message is None:
        # Saving is allowed (only known variables), but rendering cannot escape the sandbox.
        from igny8 import prompts

        with app.app_context():
            try:
                rendered = prompts.render(
                    "clustering", tenant.account_id, keywords=["a"], site_name="s"
                )
            except prompts.PromptError as exc:
                assert "SecurityError" in exc.message
                return
            assert "object" not in rendered or "class" not in rendered
        return
    assert response.status_code == 422 and message in response.json["error"]["message"]


def test_unknown_prompt_key_is_404(client, tenant):
    assert (
        client.put(
            "/api/v1/prompts/nope", headers=tenant.headers, json={"template": "x"}
        ).status_code
        == 404
    )
    assert client.delete("/api/v1/prompts/nope", headers=tenant.headers).status_code == 404


def test_populate_prompts_keeps_edits_unless_reset(app, runner, tenant):
    from igny8.extensions import db
    from igny8.models import Prompt

    assert "prompts: 6 added" in runner.invoke(args=["igny8", "populate-prompts"]).output
    with app.app_context():
        row = db.session.execute(
            db.select(Prompt).where(Prompt.key == "linking", Prompt.account_id.is_(None))
        ).scalar_one()
        row.template = "edited {{ title }}"
        db.session.add(
            Prompt(key="linking", template="mine {{ title }}", account_id=tenant.account_id)
        )
        db.session.commit()
    assert "prompts: 0 added, 0 reset" in runner.invoke(args=["igny8", "populate-prompts"]).output
    assert (
        "prompts: 0 added, 1 reset"
        in runner.invoke(args=["igny8", "populate-prompts", "--reset"]).output
    )
    with app.app_context():
        templates = dict(
            db.session.execute(
                db.select(Prompt.account_id, Prompt.template).where(Prompt.key == "linking")
            ).all()
        )
        assert templates[tenant.account_id] == "mine {{ title }}" and templates[None].startswith(
            "Suggest internal links"
        )


def test_usage_grouped_by_day_model_and_operation(app, client, tenant):
    from datetime import timedelta
    from decimal import Decimal

    from metering_support import model_named

    from igny8.extensions import db
    from igny8.models import CreditUsageLog
    from igny8.timeutil import utcnow

    now = utcnow()
    rows = [  # (days ago, model, operation, input, output, credits, cost)
        (0, "gpt-4o-mini", "clustering", 1000, 200, 2, "0.00027"),
        (0, "gpt-4o", "clustering", 500, 500, 1, "0.00625"),
        (1, "gpt-4o", "content_generation", 2000, 3000, 5, "0.035"),
        (40, "gpt-4o", "content_generation", 9999, 9999, 99, "9.99"),  # outside the default 30 days
    ]
    with app.app_context():
        for n, (ago, model, op, inp, out, credits, cost) in enumerate(rows):
            db.session.add(
                CreditUsageLog(
                    account_id=tenant.account_id,
                    operation=op,
                    provider="openai",
                    model_config_id=model_named(model).id,
                    request_id=f"r{n}",
                    input_tokens=inp,
                    output_tokens=out,
                    credits_used=credits,
                    cost_usd_total=Decimal(cost),
                    created_at=now - timedelta(days=ago),
                )
            )
        db.session.commit()
    by_model = client.get("/api/v1/usage?group_by=model", headers=tenant.headers).json
    assert {
        i["key"]: (i["calls"], i["input_tokens"], i["credits"], i["cost_usd"])
        for i in by_model["items"]
    } == {"gpt-4o": (2, 2500, 6, "0.04125000"), "gpt-4o-mini": (1, 1000, 2, "0.00027000")}
    assert by_model["totals"]["credits"] == 8 and by_model["totals"]["cost_usd"] == "0.04152000"
    by_op = client.get("/api/v1/usage?group_by=operation", headers=tenant.headers).json
    assert [(i["key"], i["calls"]) for i in by_op["items"]] == [
        ("clustering", 2),
        ("content_generation", 1),
    ]
    by_day = client.get("/api/v1/usage?group_by=day", headers=tenant.headers).json
    assert [i["calls"] for i in by_day["items"]] == [1, 2] and by_day["items"][1][
        "key"
    ] == now.date().isoformat()
    start = (now - timedelta(days=45)).date().isoformat()
    wide = client.get(f"/api/v1/usage?group_by=model&start={start}", headers=tenant.headers).json
    assert wide["totals"]["credits"] == 107
    assert client.get("/api/v1/usage?group_by=week", headers=tenant.headers).status_code == 422
    # A range that ends before it starts holds no days (documented; not an error).
    backwards = client.get("/api/v1/usage?start=2026-02-01&end=2026-01-01", headers=tenant.headers)
    assert backwards.status_code == 200 and backwards.json["items"] == []


def test_a_model_whose_provider_has_no_key_is_offered_as_unavailable_and_refused(
    app, client, make_tenant
):
    tenant = make_tenant(plan="growth")
    models = client.get("/api/v1/models?per_page=100", headers=tenant.headers).json["items"]
    available = {m["model_name"]: m["available"] for m in models}
    assert available["claude-haiku-4-5"] is False  # no Anthropic key here
    assert available["offline-text"] is True  # needs none
    refused = client.put(
        "/api/v1/settings/integration",
        headers=tenant.headers,
        json={"text_model": "claude-haiku-4-5"},
    )
    assert refused.status_code == 422
    assert refused.json["errors"] == [
        {"pointer": "/text_model", "detail": "provider anthropic is not available"}
    ]
    assert client.get("/api/v1/settings/integration", headers=tenant.headers).json["using_global"][
        "text_model"
    ]  # nothing saved
    with_key(app, "anthropic")
    assert client.get("/api/v1/models?per_page=100", headers=tenant.headers).json["items"][
        [m["model_name"] for m in models].index("claude-haiku-4-5")
    ]["available"]
    saved = client.put(
        "/api/v1/settings/integration",
        headers=tenant.headers,
        json={"text_model": "claude-haiku-4-5"},
    )
    assert saved.status_code == 200
