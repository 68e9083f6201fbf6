"""content + the site's other content -> internal links at their anchor text."""

import re

from sqlalchemy import delete, select

from igny8.plugin import (
    Content,
    ContentLink,
    ItemError,
    Publication,
    db,
    keep_revision,
    plain_text,
)

from .insert import insert_links

MAX_LINKS = 5

PROMPT = """Suggest internal links for the article "{{ title }}". Pick up to 5 of the site's other \
articles below that readers of this one would want next, and for each the exact phrase of THIS \
article to use as anchor text (a phrase that appears in it, ideally the other article's keyword).

Other articles ([id] keyword: title):
{% for candidate in candidates %}- {{ candidate }}
{% endfor %}
This article: {{ text }}

Answer with JSON only: {"links": [{"target": "[id] keyword", "anchor_text": "..."}]}"""

SCHEMA = {
    "type": "object",
    "required": ["links"],
    "properties": {
        "links": {
            "type": "array",
            "maxItems": MAX_LINKS,
            "items": {
                "type": "object",
                "required": ["target"],
                "properties": {
                    "target": {"type": "string", "x-offline": "pick-one"},
                    "anchor_text": {"type": "string"},
                },
            },
        }
    },
}


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _url(site, content: Content) -> str:
    published = (
        db.session.execute(
            select(Publication.remote_url).where(
                Publication.content_id == content.id, Publication.remote_url.is_not(None)
            )
        )
        .scalars()
        .first()
    )
    return published or f"{site.url.rstrip('/')}/{_slug(content.title)}"


def _keyword(content: Content) -> str:
    idea = content.task.idea if content.task else None
    return (idea.primary_keyword if idea and idea.primary_keyword else content.title).strip()


def link_content(ctx, content_id) -> dict:
    content = ctx.owned(Content, content_id)
    others = {
        c.id: c
        for c in db.session.execute(
            select(Content).where(
                Content.site_id == ctx.site_id,
                Content.account_id == ctx.account_id,
                Content.id != content.id,
            )
        ).scalars()
    }
    if not others:
        raise ItemError("nothing_to_do", "the site has no other content to link to")
    candidates = [f"[{c.id}] {_keyword(c)}: {c.title}" for c in others.values()]
    prompt = ctx.prompt(
        "linking", title=content.title, text=plain_text(content.html)[:3000], candidates=candidates
    )
    answer = ctx.ask_json(prompt, SCHEMA)
    site = ctx.site
    wanted, targets = [], {}
    for link in answer["links"][:MAX_LINKS]:
        match = re.search(r"\[(\d+)\]", link.get("target", ""))
        target = others.get(int(match.group(1))) if match else None
        if target is None:  # an invented or self target: ignored
            continue
        url = _url(site, target)
        # The proposed anchor first; if it is not in the text, the target's own keyword.
        wanted.append(([(link.get("anchor_text") or "").strip(), _keyword(target)], url))
        targets[url] = target
    html, placed = insert_links(content.html, wanted)
    if placed:
        keep_revision(content, "before internal linking")
        content.html = html
        db.session.execute(
            delete(ContentLink).where(
                ContentLink.source_content_id == content.id,
                ContentLink.anchor_text.in_([a for a, _ in placed]),
            )
        )
        db.session.add_all(
            ContentLink(
                account_id=ctx.account_id,
                site_id=ctx.site_id,
                source_content_id=content.id,
                target_content_id=targets[url].id,
                anchor_text=anchor,
                url=url,
            )
            for anchor, url in placed
        )
    db.session.flush()
    return {
        "content_id": content.id,
        "links": [
            {"anchor_text": a, "url": u, "target_content_id": targets[u].id} for a, u in placed
        ],
    }
