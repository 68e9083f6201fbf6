"""task -> an HTML article that follows its idea's outline and target length."""

from sqlalchemy import exists, select

from igny8.plugin import (
    Content,
    ContentIdea,
    OutputError,
    Task,
    clean_html,
    db,
    keep_revision,
    word_count,
)

PROMPT = """Write a {{ content_structure }} for the site "{{ site_name }}" titled "{{ title }}".
{% if description %}{{ description }}
{% endif %}
Follow this outline, one <h2> per section, in order:
{% for section in outline %}
{{ loop.index }}. {{ section.heading }}{{ " (" ~ section.points | join("; ") ~ ")" if section.points else "" }}
{% endfor %}
Write about {{ target_word_count }} words of HTML (h2, h3, p, ul, li, strong; no <html> or <body>). \
Use the primary keyword naturally, and cover these keywords:
- {{ primary_keyword }}
{% for keyword in covered_keywords %}- {{ keyword }}
{% endfor %}
Answer with JSON only: {"title": "...", "meta_description": "... (at most 160 characters)", "html": "..."}"""


def schema(target_words: int) -> dict:
    return {
        "type": "object",
        "required": ["title", "html"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 300},
            "meta_description": {"type": "string", "maxLength": 160},
            "html": {
                "type": "string",
                "minLength": 1,
                "x-offline": "html",
                "x-offline-words": target_words,
            },
        },
    }


def write_task(ctx, task_id) -> dict:
    task = ctx.owned(Task, task_id)
    idea = task.idea
    target = (idea.target_word_count if idea else None) or 1200
    site = ctx.site
    prompt = ctx.prompt(
        "content_generation",
        site_name=site.name,
        title=task.title,
        description=(idea.description if idea else "") or "",
        content_structure=(idea.content_structure if idea else "article").replace("_", " "),
        outline=(idea.outline if idea else []) or [],
        primary_keyword=(idea.primary_keyword if idea else task.title),
        covered_keywords=(idea.covered_keywords if idea else []) or [],
        target_word_count=target,
    )
    task_schema = schema(target)

    def cleaned(answer):
        html = clean_html(answer["html"])
        if word_count(html) == 0:
            raise OutputError("the article has no text")
        return {**answer, "html": html}

    # A token budget for the target length: about 1.4 tokens a word, plus HTML and JSON.
    budget = min(ctx.parameters.max_tokens, int(target * 2.2) + 400)
    answer = ctx.ask_json(
        prompt, task_schema, then=cleaned, model=task.model_config, max_tokens=budget
    )
    content = db.session.execute(
        select(Content).where(Content.task_id == task.id)
    ).scalar_one_or_none()
    if content is None:
        content = Content(account_id=ctx.account_id, site_id=ctx.site_id, task_id=task.id)
        db.session.add(content)
    else:  # rewriting: the previous version is kept
        keep_revision(content, "rewritten by content generation")
    content.title = answer["title"].strip()[:300]
    content.html = answer["html"]
    content.word_count = word_count(answer["html"])
    content.meta_description = (answer.get("meta_description") or "").strip()[:160] or None
    task.status, task.error = "completed", None
    db.session.flush()
    return {"content_id": content.id, "word_count": content.word_count, "target_word_count": target}


def task_failed(ctx, task_id, error) -> None:
    """A task whose article could not be written is marked failed (the pipeline and the
    API write it again)."""
    if error["code"] == "not_found":
        return
    task = ctx.owned(Task, task_id)
    task.status, task.error = "failed", f"{error['code']}: {error['message']}"


def queue_idea(ctx, idea_id) -> dict:
    """idea -> a writing task (no AI, no credits); an idea already queued is left alone."""
    idea = ctx.owned(ContentIdea, idea_id)
    existing = db.session.execute(select(Task).where(Task.idea_id == idea.id)).scalars().first()
    if existing is not None:
        return {"task_id": existing.id, "created": False}
    task = Task(account_id=ctx.account_id, site_id=ctx.site_id, idea_id=idea.id, title=idea.title)
    idea.status = "queued"
    db.session.add(task)
    db.session.flush()
    return {"task_id": task.id, "created": True}


def ideas_without_tasks(site) -> list[int]:
    """The site's ideas not queued as a task yet."""
    return db.session.scalars(
        select(ContentIdea.id)
        .where(ContentIdea.site_id == site.id, ~exists().where(Task.idea_id == ContentIdea.id))
        .order_by(ContentIdea.id)
    ).all()


def tasks_to_write(site) -> list[int]:
    """The site's tasks waiting for their article, failed ones included."""
    return db.session.scalars(
        select(Task.id)
        .where(Task.site_id == site.id, Task.status.in_(("queued", "failed")))
        .order_by(Task.id)
    ).all()
