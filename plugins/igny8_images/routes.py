"""POST content/image-prompts, GET images, POST images/generate."""

from flask import Blueprint, jsonify

from igny8.api import serialize
from igny8.api.modules import require_module
from igny8.api.pagination import paginate
from igny8.api.runs import execute
from igny8.api.schemas import ContentIdsIn, ImageIdsIn, PageQuery
from igny8.api.scoping import owned, owned_ids, owned_site
from igny8.api.validation import documented
from igny8.models import Content, Image


def blueprint() -> Blueprint:
    bp = Blueprint("images", __name__, url_prefix="/api/v1/sites/<int:site_id>")

    @bp.post("/content/image-prompts")
    @require_module("images")
    @documented(
        "AI: a featured and in-article image prompts, with captions and alt text",
        tags=["images"],
        body=ContentIdsIn,
    )
    def image_prompts(site_id, data):
        owned_site(site_id)
        return execute(
            "image_prompt_extraction",
            owned_ids(Content, data["content_ids"], site_id),
            site_id=site_id,
        )

    @bp.get("/images")
    @require_module("images")
    @documented("Images with prompts, captions and status", tags=["images"], query=PageQuery)
    def list_images(site_id, args):
        owned_site(site_id)
        return jsonify(
            paginate(
                owned(Image)
                .where(Image.site_id == site_id)
                .order_by(Image.content_id, Image.position),
                serialize.image,
            )
        )

    @bp.post("/images/generate")
    @require_module("images")
    @documented("AI: generate images from their prompts", tags=["images"], body=ImageIdsIn)
    def generate(site_id, data):
        owned_site(site_id)
        return execute(
            "image_generation", owned_ids(Image, data["image_ids"], site_id), site_id=site_id
        )

    return bp
