"""GET, POST /sites/{id}/tasks (no AI) and POST /sites/{id}/tasks/content (AI)."""

from flask import Blueprint, jsonify
from sqlalchemy import select

from igny8.ai.engine import run_operation
from igny8.api import serialize
from igny8.api.auth import current_account
from igny8.api.modules import require_module
from igny8.api.pagination import paginate
from igny8.api.runs import execute
from igny8.api.schemas import IdeaIdsIn, PageQuery, TaskIdsIn
from igny8.api.scoping import owned, owned_ids, owned_site
from igny8.api.validation import documented
from igny8.extensions import db
from igny8.models import ContentIdea, Task


def blueprint() -> Blueprint:
    bp = Blueprint("writer", __name__, url_prefix="/api/v1/sites/<int:site_id>")

    @bp.get("/tasks")
    @require_module("writer")
    @documented("Writing tasks", tags=["writer"], query=PageQuery)
    def list_tasks(site_id, args):
        owned_site(site_id)
        return jsonify(
            paginate(owned(Task).where(Task.site_id == site_id).order_by(Task.id), serialize.task)
        )

    @bp.post("/tasks")
    @require_module("writer")
    @documented(
        "Queue ideas as writing tasks (no AI, no credits); an idea already queued is skipped",
        tags=["writer"],
        body=IdeaIdsIn,
        status=201,
    )
    def create_tasks(site_id, data):
        owned_site(site_id)
        ids = owned_ids(ContentIdea, data["idea_ids"], site_id)
        outcome = run_operation(current_account().id, "task_creation", ids, site_id=site_id)
        created = [r["task_id"] for r in outcome.results if r.get("created")]
        skipped = [
            r["item"] for r in outcome.results if r["status"] == "succeeded" and not r["created"]
        ]
        tasks = db.session.execute(
            select(Task).where(Task.id.in_(created)).order_by(Task.id)
        ).scalars()
        return jsonify(
            {
                "created": len(created),
                "skipped": skipped,
                "items": [serialize.task(t) for t in tasks],
            }
        ), 201

    @bp.post("/tasks/content")
    @require_module("writer")
    @documented("AI: write the article for each task", tags=["writer"], body=TaskIdsIn)
    def write_content(site_id, data):
        owned_site(site_id)
        return execute(
            "content_generation", owned_ids(Task, data["task_ids"], site_id), site_id=site_id
        )

    return bp
