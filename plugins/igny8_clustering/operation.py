"""keywords -> clusters. Each item is a batch of keyword ids (one model call)."""

from sqlalchemy import select

from igny8.plugin import Cluster, ItemError, Keyword, db

BATCH_SIZE = 60
MIN_KEYWORDS, MAX_KEYWORDS = 3, 10

SCHEMA = {
    "type": "object",
    "required": ["clusters"],
    "properties": {
        "clusters": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "object",
                "required": ["name", "keywords"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": {"type": "string"},
                    "keywords": {
                        "type": "array",
                        "minItems": MIN_KEYWORDS,
                        "maxItems": MAX_KEYWORDS,
                        "x-offline": "pick",
                        "items": {"type": "string"},
                    },
                },
            },
        }
    },
}

PROMPT = """You are an SEO strategist. Group the keywords of the site "{{ site_name }}" into topic \
clusters of 3 to 10 closely related keywords each. Use only keywords from the list, each at \
most once, spelled exactly as listed; leave out keywords that fit no cluster.

Answer with JSON only: {"clusters": [{"name": "...", "description": "...", "keywords": ["..."]}]}

Keywords:
{% for keyword in keywords %}- {{ keyword }}
{% endfor %}"""


def batches(keyword_ids: list[int]) -> list[dict]:
    """Keyword ids in batches of BATCH_SIZE, one model call each; a tail too small to cluster
    joins the batch before it, and fewer than MIN_KEYWORDS keywords make no batch at all."""
    chunks = [keyword_ids[i : i + BATCH_SIZE] for i in range(0, len(keyword_ids), BATCH_SIZE)]
    if len(chunks) > 1 and len(chunks[-1]) < MIN_KEYWORDS:
        chunks[-2] += chunks.pop()
    return [
        {"batch": n + 1, "keyword_ids": chunk}
        for n, chunk in enumerate(chunks)
        if len(chunk) >= MIN_KEYWORDS
    ]


def cluster_batch(ctx, item) -> dict:
    keywords = (
        db.session.execute(
            select(Keyword).where(
                Keyword.account_id == ctx.account_id,
                Keyword.site_id == ctx.site_id,
                Keyword.id.in_(item["keyword_ids"]),
                Keyword.cluster_id.is_(None),
            )
        )
        .scalars()
        .all()
    )
    if len(keywords) < MIN_KEYWORDS:
        raise ItemError(
            "nothing_to_do", f"fewer than {MIN_KEYWORDS} unclustered keywords in this batch"
        )
    site = ctx.site
    prompt = ctx.prompt("clustering", site_name=site.name, keywords=[k.keyword for k in keywords])
    answer = ctx.ask_json(prompt, SCHEMA)
    unclustered = {k.keyword.lower(): k for k in keywords}
    created = []
    for proposed in answer["clusters"]:
        # Each input keyword lands in at most one cluster; invented keywords are ignored.
        members = []
        for text in proposed["keywords"]:
            keyword = unclustered.get(str(text).strip().lower())
            if keyword is not None and keyword not in members:
                members.append(keyword)
        members = members[:MAX_KEYWORDS]
        if len(members) < MIN_KEYWORDS:
            continue  # too small a cluster: its keywords stay unclustered
        cluster = Cluster(
            account_id=ctx.account_id,
            site_id=ctx.site_id,
            name=proposed["name"].strip()[:255] or members[0].keyword,
            description=(proposed.get("description") or "").strip() or None,
        )
        db.session.add(cluster)
        for keyword in members:
            keyword.cluster = cluster
            keyword.status = "clustered"
            del unclustered[keyword.keyword.lower()]
        created.append(cluster)
    db.session.flush()
    return {
        "clusters": [c.id for c in created],
        "clustered": len(keywords) - len(unclustered),
        "unclustered": len(unclustered),
    }


def unclustered(site_id: int) -> list[int]:
    """The site's keywords not in a cluster yet, oldest first."""
    return db.session.scalars(
        select(Keyword.id)
        .where(Keyword.site_id == site_id, Keyword.cluster_id.is_(None))
        .order_by(Keyword.id)
    ).all()
