"""content + target keywords -> optimized HTML, scored before and after by igny8 itself."""

from igny8.plugin import (
    Content,
    ItemError,
    OutputError,
    clean_html,
    db,
    keep_revision,
    keyword_score,
    word_count,
)

PROMPT = """Improve the article "{{ title }}" for search, for these target keywords:
{% for keyword in keywords %}- {{ keyword }}
{% endfor %}
Its keyword score is {{ score }}/100 (keywords in the text, in headings, in the opening). Work the \
keywords in naturally: in an <h2> where it fits and in the first paragraph; keep the facts, the \
structure and the length; do not stuff keywords.

Answer with JSON only: {"html": "..."}

The article:
{{ html }}"""

SCHEMA = {
    "type": "object",
    "required": ["html"],
    "properties": {
        "html": {"type": "string", "minLength": 1, "x-offline": "html", "x-offline-words": 600}
    },
}


def optimize(ctx, item) -> dict:
    content = ctx.owned(Content, item["content_id"])
    idea = content.task.idea if content.task else None
    keywords = item.get("keywords") or [
        k
        for k in [idea.primary_keyword if idea else None, *(idea.covered_keywords if idea else [])]
        if k
    ]
    if not keywords:
        raise ItemError(
            "bad_request", "no target keywords: send keywords or use content written from an idea"
        )
    before = keyword_score(content.html, keywords)
    prompt = ctx.prompt(
        "optimization", title=content.title, html=content.html, keywords=keywords, score=before
    )

    def cleaned(answer):
        html = clean_html(answer["html"])
        if word_count(html) == 0:
            raise OutputError("the optimized article has no text")
        return html

    html = ctx.ask_json(prompt, SCHEMA, then=cleaned)
    revision = keep_revision(content, f"before optimization for {', '.join(keywords)}")
    content.html, content.word_count = html, word_count(html)
    after = keyword_score(html, keywords)
    db.session.flush()
    return {
        "content_id": content.id,
        "score_before": before,
        "score_after": after,
        "revision_id": revision.id,
        "keywords": keywords,
    }
