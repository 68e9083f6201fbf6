"""Shared set-up for content-module tests: offline default models, prompts, a tenant."""

from metering_support import model_named

from igny8 import prompts
from igny8.extensions import db
from igny8.models import GlobalIntegrationSettings

KEYWORDS = [
    "best running shoes",
    "trail running shoes",
    "running shoes for flat feet",
    "marathon training plan",
    "half marathon training plan",
    "couch to 5k",
    "running socks",
    "compression socks",
    "gps running watch",
    "heart rate monitor",
]


def use_offline(app):
    with app.app_context():
        settings = GlobalIntegrationSettings.get()
        settings.default_text_model = model_named("offline-text")
        settings.default_image_model = model_named("offline-image")
        prompts.populate()
        db.session.commit()


class Api:
    def __init__(self, client, tenant):
        self.client, self.tenant, self.site = client, tenant, tenant.site_id

    def __call__(self, method, path, json=None, status=None, **headers):
        response = getattr(self.client, method)(
            path.format(site=self.site), json=json, headers={**self.tenant.headers, **headers}
        )
        if status is not None:
            assert response.status_code == status, response.get_data(as_text=True)
        return response.json

    def journey_to_content(self, n_tasks=2):
        """keywords -> clusters -> ideas -> tasks -> content; returns content ids."""
        self("post", "/api/v1/sites/{site}/keywords", {"keywords": KEYWORDS}, 201)
        self("post", "/api/v1/sites/{site}/keywords/cluster", {}, 200)
        clusters = self("get", "/api/v1/sites/{site}/clusters")["items"]
        self(
            "post",
            "/api/v1/sites/{site}/clusters/ideas",
            {"cluster_ids": [c["id"] for c in clusters]},
            200,
        )
        ideas = self("get", "/api/v1/sites/{site}/ideas?per_page=100")["items"]
        tasks = self(
            "post",
            "/api/v1/sites/{site}/tasks",
            {"idea_ids": [i["id"] for i in ideas[:n_tasks]]},
            201,
        )
        run = self(
            "post",
            "/api/v1/sites/{site}/tasks/content",
            {"task_ids": [t["id"] for t in tasks["items"]]},
            200,
        )
        return [r["content_id"] for r in run["results"]]
