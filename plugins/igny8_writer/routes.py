"""GET, POST /sites/{id}/tasks (no AI) and POST /sites/{id}/tasks/content (AI)."""

from flask import jsonify
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from igny8.plugin import (
    ContentIdea,
    Strict,
    Task,
    current_account,
    db,
    documented,
    execute_on,
    filtered,
    ids_schema,
    item_routes,
    list_query,
    on_site,
    owned_ids,
    page_of,
    paginate,
    run_operation,
)

IdeaIdsIn = ids_schema("IdeaIdsIn", "idea_ids")
TaskIdsIn = ids_schema("TaskIdsIn", "task_ids")
TASK_STATUSES = ("queued", "in_progress", "completed", "failed")
TaskQuery = list_query(
    "TaskQuery", statuses=TASK_STATUSES, sort=("id", "title", "created_at"), search=True
)


def task_json(t):
    return {
        "id": t.id,
        "idea_id": t.idea_id,
        "title": t.title,
        "status": t.status,
        "model": t.model_config.model_name if t.model_config else None,
        "error": t.error,
    }


class TaskOut(Schema):
    id = fields.Integer(required=True)
    idea_id = fields.Integer(required=True, allow_none=True)
    title = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(TASK_STATUSES))
    model = fields.String(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)


class TasksAddedOut(Schema):
    created = fields.Integer(required=True)
    skipped = fields.List(fields.Integer(), required=True)  # ids of ideas already queued
    items = fields.List(fields.Nested(TaskOut), required=True)


class TaskPatch(Strict):
    title = fields.String(validate=validate.Length(min=1, max=300))


def routes(bp):
    item_routes(
        bp, "tasks", Task, serialize=task_json, shape=TaskOut, tags=["tasks"], patch=TaskPatch
    )

    @bp.get("/tasks")
    @documented(
        "Writing tasks: filter by status, search titles with q, sort",
        query=TaskQuery,
        response=page_of(TaskOut),
    )
    def list_tasks(site_id, args):
        query = filtered(on_site(Task, site_id), Task, args, ("status",), search="title")
        return jsonify(paginate(query, task_json))

    @bp.post("/tasks")
    @documented(
        "Queue ideas as writing tasks (no AI, no credits); an idea already queued is skipped",
        body=IdeaIdsIn,
        status=201,
        response=TasksAddedOut,
    )
    def create_tasks(site_id, data):
        ids = owned_ids(ContentIdea, data["idea_ids"], site_id)
        outcome = run_operation(current_account().id, "task_creation", ids, site_id=site_id)
        created = [r["task_id"] for r in outcome.results if r.get("created")]
        skipped = [
            r["item"] for r in outcome.results if r["status"] == "succeeded" and not r["created"]
        ]
        found = {
            t.id: t for t in db.session.execute(select(Task).where(Task.id.in_(created))).scalars()
        }
        return jsonify(
            {
                "created": len(created),
                "skipped": skipped,
                # In the order of the ideas asked for (the tasks were made in parallel).
                "items": [task_json(found[task_id]) for task_id in created],
            }
        ), 201

    @bp.post("/tasks/content")
    @documented("AI: write the article for each task", body=TaskIdsIn, run=True)
    def write_content(site_id, data):
        return execute_on("content_generation", Task, data["task_ids"], site_id)
