"""A failing provider in every module: the item fails, its writes are rolled back, what
records the failure is kept, nothing is charged, and the same item succeeds on retry."""

import pytest
from content_support import KEYWORDS, Api, use_offline
from metering_support import add_model, model_named
from sqlalchemy import func, select

from igny8 import hookimpl
from igny8.ai.provider import Provider, ProviderError
from igny8.billing import audit
from igny8.extensions import db
from igny8.models import (
    Account,
    Cluster,
    Content,
    ContentIdea,
    GlobalIntegrationSettings,
    Image,
    Keyword,
    Task,
)


class BrokenProvider(Provider):
    name = "broken"
    model_types = ("text", "image")
    key_env_var = None

    def complete(self, request, credential):
        raise ProviderError("invalid_request", "the provider refused the request")

    def generate_images(self, request, credential):
        raise ProviderError("invalid_request", "the provider refused the request")


class BrokenPlugin:
    @hookimpl
    def igny8_register_providers(self, register):
        register(BrokenProvider())


@pytest.fixture
def api(app, client, tenant, plugins):
    use_offline(app)
    plugins.register(BrokenPlugin(), "broken_plugin")
    with app.app_context():
        add_model("broken-text", provider="broken")
        add_model("broken-image", provider="broken", model_type="image")
        db.session.commit()
    return Api(client, tenant)


def use(app, provider):
    """Make ``provider``'s models ("broken" or "offline") the defaults."""
    with app.app_context():
        settings = GlobalIntegrationSettings.get()
        settings.default_text_model = model_named(f"{provider}-text")
        settings.default_image_model = model_named(f"{provider}-image")
        db.session.commit()


def failed_then_retried(app, api, path, body, check_failed):
    """POST ``path`` with the broken provider, check, then again with the offline one."""
    with app.app_context():
        before = db.session.get(Account, api.tenant.account_id).credits
    use(app, "broken")
    run = api("post", path, body, 502)["error"]["details"]
    assert {r["error"]["code"] for r in run["results"]} == {"invalid_request"}
    with app.app_context():
        assert db.session.get(Account, api.tenant.account_id).credits == before
        check_failed()
        assert audit.audit() == []
    use(app, "offline")
    again = api("post", path, body, 200)
    assert {r["status"] for r in again["results"]} == {"succeeded"}
    return again


def count(model, *where):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_clustering_keeps_keywords_unclustered(app, api):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)

    def check():
        assert count(Cluster) == 0
        assert count(Keyword, Keyword.cluster_id.is_not(None)) == 0

    failed_then_retried(app, api, "/api/v1/sites/{site}/keywords/cluster", {}, check)
    with app.app_context():
        assert count(Cluster) > 0


def test_ideas_leave_the_cluster_without_ideas(app, api):
    api("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
    api("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
    ids = [c["id"] for c in api("get", "/api/v1/sites/{site}/clusters")["items"]][:1]
    failed_then_retried(
        app,
        api,
        "/api/v1/sites/{site}/clusters/ideas",
        {"cluster_ids": ids},
        lambda: (count(ContentIdea) == 0) or pytest.fail("ideas were kept"),
    )


def test_writer_marks_the_task_failed_and_writes_it_on_retry(app, api):
    api.journey_to_content(n_tasks=1)
    with app.app_context():
        task_id = db.session.execute(select(Task.id)).scalar_one()
        db.session.execute(db.delete(Content))
        db.session.commit()

    def check():
        task = db.session.get(Task, task_id)
        assert task.status == "failed"
        assert task.error == "invalid_request: the provider refused the request"
        assert count(Content) == 0

    failed_then_retried(
        app, api, "/api/v1/sites/{site}/tasks/content", {"task_ids": [task_id]}, check
    )
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.status, task.error) == ("completed", None)
        assert count(Content) == 1


def test_image_prompts_leave_the_content_without_images(app, api):
    content_id = api.journey_to_content(n_tasks=1)[0]
    failed_then_retried(
        app,
        api,
        "/api/v1/sites/{site}/content/image-prompts",
        {"content_ids": [content_id]},
        lambda: (count(Image) == 0) or pytest.fail("images were planned"),
    )


def test_image_generation_marks_the_image_failed(app, api):
    content_id = api.journey_to_content(n_tasks=1)[0]
    api("post", "/api/v1/sites/{site}/content/image-prompts", {"content_ids": [content_id]}, 200)
    with app.app_context():
        image_id = db.session.execute(select(Image.id).where(Image.kind == "featured")).scalar()

    def check():
        image = db.session.get(Image, image_id)
        assert (image.status, image.file_path) == ("failed", None)
        assert image.error.startswith("invalid_request")

    failed_then_retried(
        app, api, "/api/v1/sites/{site}/images/generate", {"image_ids": [image_id]}, check
    )
    with app.app_context():
        assert db.session.get(Image, image_id).status == "generated"


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/sites/{site}/content/link", {}),
        ("/api/v1/sites/{site}/content/optimize", {"keywords": ["running shoes"]}),
    ],
    ids=["linker", "optimizer"],
)
def test_content_rewrites_leave_the_content_as_it_was(app, api, path, body):
    content_ids = api.journey_to_content(n_tasks=2)
    with app.app_context():
        before = {c.id: c.html for c in db.session.execute(select(Content)).scalars()}

    def check():
        after = {c.id: c.html for c in db.session.execute(select(Content)).scalars()}
        assert after == before

    failed_then_retried(app, api, path, {"content_ids": content_ids[:1], **body}, check)
