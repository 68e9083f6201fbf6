"""cluster -> 3 to 7 article ideas, each with its structure, outline and target length."""

from sqlalchemy import exists, select

from igny8.plugin import Cluster, ContentIdea, Keyword, OutputError, db

MIN_IDEAS, MAX_IDEAS = 3, 7
STRUCTURES = ("article", "guide", "how_to", "comparison", "review", "listicle")

SCHEMA = {
    "type": "object",
    "required": ["ideas"],
    "properties": {
        "ideas": {
            "type": "array",
            "minItems": MIN_IDEAS,
            "maxItems": MAX_IDEAS,
            "items": {
                "type": "object",
                "required": [
                    "title",
                    "content_structure",
                    "outline",
                    "primary_keyword",
                    "target_word_count",
                ],
                "properties": {
                    "title": {"type": "string", "minLength": 1, "maxLength": 300},
                    "description": {"type": "string"},
                    "content_structure": {"enum": list(STRUCTURES)},
                    "outline": {
                        "type": "array",
                        "minItems": 3,
                        "maxItems": 10,
                        "items": {
                            "type": "object",
                            "required": ["heading"],
                            "properties": {
                                "heading": {"type": "string", "minLength": 1},
                                "points": {
                                    "type": "array",
                                    "maxItems": 5,
                                    "items": {"type": "string"},
                                },
                            },
                        },
                    },
                    "primary_keyword": {"type": "string", "x-offline": "pick-one"},
                    "covered_keywords": {
                        "type": "array",
                        "maxItems": 6,
                        "x-offline": "pick",
                        "items": {"type": "string"},
                    },
                    "target_word_count": {"type": "integer", "minimum": 600, "maximum": 3000},
                },
            },
        }
    },
}

PROMPT = """You are a content strategist for the site "{{ site_name }}". Propose 3 to 7 article \
ideas for the topic cluster "{{ cluster_name }}"{% if cluster_description %} ({{ cluster_description }}){% endif %}.
For each idea give a title, a one-sentence description, a content structure (article, guide, \
how_to, comparison, review or listicle), an outline of H2 sections (heading and key points), \
the primary keyword (from the list), the other keywords it covers, and a target word count \
between 600 and 3000.

Answer with JSON only: {"ideas": [{"title": "...", "description": "...", "content_structure": \
"guide", "outline": [{"heading": "...", "points": ["..."]}], "primary_keyword": "...", \
"covered_keywords": ["..."], "target_word_count": 1200}]}

Keywords of the cluster:
{% for keyword in keywords %}- {{ keyword }}
{% endfor %}"""


def ideas_for_cluster(ctx, cluster_id) -> dict:
    cluster = ctx.owned(Cluster, cluster_id)
    keywords = [
        k.keyword
        for k in db.session.execute(
            select(Keyword).where(Keyword.cluster_id == cluster.id).order_by(Keyword.id)
        ).scalars()
    ]
    site = ctx.site
    prompt = ctx.prompt(
        "idea_generation",
        site_name=site.name,
        cluster_name=cluster.name,
        cluster_description=cluster.description or "",
        keywords=keywords,
    )

    def enough(answer):
        ideas = answer["ideas"]
        if len(ideas) < MIN_IDEAS:
            raise OutputError(f"{len(ideas)} idea(s); at least {MIN_IDEAS} were asked for")
        return ideas[:MAX_IDEAS]

    ideas = ctx.ask_json(prompt, SCHEMA, then=enough)
    known = {k.lower(): k for k in keywords}
    rows = []
    for idea in ideas:
        primary = known.get(
            idea["primary_keyword"].strip().lower(), idea["primary_keyword"].strip()
        )
        covered = [
            known.get(str(k).strip().lower(), str(k).strip())
            for k in idea.get("covered_keywords") or []
        ]
        rows.append(
            ContentIdea(
                account_id=ctx.account_id,
                site_id=ctx.site_id,
                cluster_id=cluster.id,
                title=idea["title"].strip()[:300],
                description=(idea.get("description") or "").strip() or None,
                content_structure=idea["content_structure"],
                outline=[
                    {"heading": s["heading"].strip(), "points": s.get("points") or []}
                    for s in idea["outline"]
                ],
                primary_keyword=primary[:255],
                covered_keywords=[k for k in dict.fromkeys(covered) if k and k != primary],
                target_word_count=min(3000, max(600, int(idea["target_word_count"]))),
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return {"ideas": [r.id for r in rows]}


def clusters_without_ideas(site) -> list[int]:
    """The site's clusters that have no ideas yet."""
    return db.session.scalars(
        select(Cluster.id)
        .where(
            Cluster.site_id == site.id,
            ~exists().where(ContentIdea.cluster_id == Cluster.id),
        )
        .order_by(Cluster.id)
    ).all()
