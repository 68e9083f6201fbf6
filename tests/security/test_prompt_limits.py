"""Prompt templates render within bounds, and a template that fails to render is a clear
422 prompt_error that ends its run failed with what it really cost."""

import tracemalloc

import pytest
from content_support import KEYWORDS, use_offline
from jinja2 import StrictUndefined
from test_admin import admin, admin_user, csrf_from  # noqa: F401  (fixtures)

from igny8 import prompts
from igny8.extensions import db
from igny8.models import Account, OperationRun, Prompt
from igny8.sandbox import BoundedEnvironment, LimitExceeded, Limits

ENV = BoundedEnvironment(undefined=StrictUndefined)
LIMITS = Limits(max_chars=10_000, max_steps=5_000)


def render(template, limits=LIMITS, **variables):
    return ENV.render(template, limits, **variables)


def test_ordinary_templates_render_as_jinja_would():
    template = (
        "Site {{ site_name }}: {% for k in keywords %}{{ loop.index }}. {{ k|title }}"
        "{{ ', ' if not loop.last }}{% endfor %} ({{ keywords|length }}; {{ '%05.1f' % 2.5 }};"
        " {{ '{:>4}'.format(7) }}; {{ 'ab' * 2 }}; {{ 2 ** 10 }}; {{ range(3)|list }})"
    )
    assert render(template, site_name="Shoes", keywords=["trail shoes", "road shoes"]) == (
        "Site Shoes: 1. Trail Shoes, 2. Road Shoes (2; 002.5;    7; abab; 1024; [0, 1, 2])"
    )


@pytest.mark.parametrize(
    "template",
    [
        "{{ site_name * 20000000 }}",  # a 180 MB prompt, once
        "{{ [site_name] * 20000000 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{% for i in range(4000) %}{{ site_name }}{{ site_name }}{{ site_name }}{% endfor %}",
        "{% set s = site_name * 30000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
        "{% for a in keywords %}{% for b in keywords %}{% endfor %}{% endfor %}",
        "{{ site_name|center(1000000000) }}",
        "{{ site_name.ljust(1000000000) }}",
        "{{ '%1000000000s' % site_name }}",
        "{{ '{:>1000000000}'.format(site_name) }}",
        "{{ 'x'|format() ~ '%0999999999d'|format(1) }}",
        "{{ 9 ** 99999999 }}",
        "{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}{{ down(1) }}",
    ],
)
def test_unbounded_templates_are_stopped(template):
    """...before they are built: a refused template never holds the memory it asked for."""
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded):
            render(template, site_name="Shoes", keywords=["k"] * 1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"{peak:,} bytes allocated before the template was stopped"


def test_the_bounds_are_the_configured_ones(app, tenant_factory_for):
    app.config.update(PROMPT_MAX_CHARS=50, PROMPT_MAX_STEPS=1_000_000)
    tenant = tenant_factory_for(app)
    with app.app_context():
        db.session.add(
            Prompt(key="clustering", account_id=tenant.account_id, template="{{ site_name * 60 }}")
        )
        db.session.commit()
        with pytest.raises(prompts.PromptError) as refused:
            prompts.render("clustering", tenant.account_id, site_name="x", keywords=[])
    assert "longer than 50 characters" in refused.value.message
    assert refused.value.details == {"prompt": "clustering", "source": "account"}


@pytest.mark.parametrize(
    "template, reason",
    [
        ("{{ 1/0 }}", "ZeroDivisionError"),
        ("{{ keywords[99] }}", "UndefinedError"),
        ("{{ site_name * 20000000 }}", "longer than 200,000 characters"),
    ],
)
def test_a_template_that_fails_to_render_is_a_422_and_its_run_ends_failed(
    app, client, tenant, template, reason
):
    use_offline(app)
    headers = tenant.headers
    client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords", json={"keywords": KEYWORDS}, headers=headers
    )
    saved = client.put("/api/v1/prompts/clustering", json={"template": template}, headers=headers)
    assert saved.status_code == 200  # it saves: only a render can tell
    answer = client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords/cluster", json={}, headers=headers
    )
    assert answer.status_code == 422, answer.get_data(as_text=True)
    error = answer.json["error"]
    assert error["code"] == "prompt_error"
    assert error["message"].startswith(
        "prompt 'clustering' (account template) could not be rendered"
    )
    assert reason in error["message"]
    run_id = error["details"]["run"]["id"]
    with app.app_context():
        run = db.session.get(OperationRun, run_id)
        balance = db.session.get(Account, tenant.account_id).credits
        assert (run.status, run.credits_used, run.finished_at is not None) == ("failed", 0, True)
        assert balance == 1000  # nothing was charged: no provider call was made


def test_an_admin_saved_global_prompt_is_checked_like_a_tenants(app, admin):  # noqa: F811
    page = admin.get("/admin/prompt/new/").get_data(as_text=True)
    answer = admin.post(
        "/admin/prompt/new/",
        data={"key": "clustering", "template": "{{ secret_sauce }}", "csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert "unknown variable(s) secret_sauce" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Prompt).filter_by(template="{{ secret_sauce }}").count() == 0


def test_renders_outside_render_are_still_size_bounded_and_do_not_share_a_budget():
    template = ENV.from_string("{{ x * n }}")
    for _ in range(3):  # steps are not carried from one render to the next
        assert template.render(x="ab", n=2) == "abab"
    with pytest.raises(LimitExceeded):
        template.render(x="ab", n=10**8)
