"""content -> image prompts with captions; prompt -> image file (or the provider's URL)."""

import os
import re

from flask import current_app
from sqlalchemy import delete, exists, select

from igny8.plugin import (
    Content,
    GlobalIntegrationSettings,
    Image,
    ItemError,
    db,
    plain_text,
)

IMAGE = {
    "type": "object",
    "required": ["prompt", "caption", "alt"],
    "properties": {
        "prompt": {"type": "string", "minLength": 1, "maxLength": 1000},
        "caption": {"type": "string", "minLength": 1, "maxLength": 300},
        "alt": {"type": "string", "minLength": 1, "maxLength": 300},
    },
}

PROMPT = """Plan the images of the article "{{ title }}": one featured image and {{ in_article_count }} \
in-article image(s). For each, write a detailed image-generation prompt (subject, setting, style, \
no text in the image), a caption for readers, and alt text.

Sections of the article:
{% for section in sections %}- {{ section }}
{% endfor %}
The article begins: {{ text }}

Answer with JSON only: {"featured": {"prompt": "...", "caption": "...", "alt": "..."}, \
"in_article": [{"prompt": "...", "caption": "...", "alt": "..."}]}"""


def _schema(in_article: int) -> dict:
    return {
        "type": "object",
        "required": ["featured"],
        "properties": {
            "featured": IMAGE,
            "in_article": {
                "type": "array",
                "minItems": in_article,
                "maxItems": in_article,
                "items": IMAGE,
            },
        },
    }


def extract_prompts(ctx, content_id) -> dict:
    content = ctx.owned(Content, content_id)
    if any(i.status == "generated" for i in content.images):
        raise ItemError("conflict", "this content already has generated images")
    count = GlobalIntegrationSettings.get().max_in_article_images
    schema = _schema(count)
    sections = [
        plain_text(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", content.html, re.S | re.I)
    ]
    prompt = ctx.prompt(
        "image_prompt_extraction",
        title=content.title,
        in_article_count=count,
        sections=sections,
        text=plain_text(content.html)[:1500],
    )
    answer = ctx.ask_json(prompt, schema)
    # A new plan replaces the previous one (none of it was generated yet).
    db.session.execute(delete(Image).where(Image.content_id == content.id))
    planned = [("featured", 0, answer["featured"])]
    planned += [
        ("in_article", n + 1, image)
        for n, image in enumerate((answer.get("in_article") or [])[:count])
    ]
    rows = [
        Image(
            account_id=ctx.account_id,
            site_id=ctx.site_id,
            content_id=content.id,
            kind=kind,
            position=position,
            prompt=image["prompt"].strip(),
            caption=image["caption"].strip(),
            alt=image["alt"].strip()[:500],
            status="pending",
        )
        for kind, position, image in planned
    ]
    db.session.add_all(rows)
    db.session.flush()
    return {"content_id": content.id, "images": [r.id for r in rows]}


def _save(image: Image, data: bytes) -> str:
    folder = os.path.join(
        current_app.config["MEDIA_DIR"], str(image.account_id), str(image.site_id)
    )
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"image-{image.id}.png")
    with open(path, "wb") as f:
        f.write(data)
    return path


def generate_image(ctx, image_id) -> dict:
    image = ctx.owned(Image, image_id)
    if image.status == "generated":
        raise ItemError("conflict", f"image {image_id} is already generated")
    generated = ctx.images(image.prompt, n=1).output.images[0]
    if generated.data:
        image.file_path = _save(image, generated.data)
    image.url = generated.url
    image.status, image.error = "generated", None
    db.session.flush()
    return {"image_id": image.id, "kind": image.kind}


def image_failed(ctx, image_id, error) -> None:
    """A failed image is marked so (the pipeline generates it again on its next run)."""
    if error["code"] in ("not_found", "conflict"):
        return
    image = ctx.owned(Image, image_id)
    image.status, image.error = "failed", f"{error['code']}: {error['message']}"


def contents_without_images(site) -> list[int]:
    """The site's content with no image plan yet."""
    return db.session.scalars(
        select(Content.id)
        .where(Content.site_id == site.id, ~exists().where(Image.content_id == Content.id))
        .order_by(Content.id)
    ).all()


def images_to_generate(site) -> list[int]:
    """The site's planned images not generated yet, failed ones included."""
    return db.session.scalars(
        select(Image.id)
        .where(Image.site_id == site.id, Image.status.in_(("pending", "failed")))
        .order_by(Image.id)
    ).all()
