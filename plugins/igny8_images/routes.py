"""POST content/image-prompts, GET images, POST images/generate."""

from flask import jsonify
from marshmallow import fields, validate

from igny8.plugin import (
    Content,
    ContentIdsIn,
    Image,
    ImageOut,
    PageQuery,
    Strict,
    documented,
    execute_on,
    ids_schema,
    image_json,
    item_routes,
    on_site,
    page_of,
    paginate,
)

ImageIdsIn = ids_schema("ImageIdsIn", "image_ids")


class ImagePatch(Strict):
    caption = fields.String(allow_none=True, validate=validate.Length(max=5_000))
    alt = fields.String(allow_none=True, validate=validate.Length(max=500))
    prompt = fields.String(validate=validate.Length(min=1, max=20_000))
    # Back to pending, so that POST /images/generate makes it again (charged again).
    regenerate = fields.Boolean()


def update_image(image, data) -> None:
    for field in ("caption", "alt", "prompt"):
        if field in data:
            setattr(image, field, data[field])
    if data.get("regenerate"):
        image.status, image.error = "pending", None


def routes(bp):
    item_routes(
        bp,
        "images",
        Image,
        serialize=image_json,
        shape=ImageOut,
        tags=["images"],
        patch=ImagePatch,
        update=update_image,
    )

    @bp.post("/content/image-prompts")
    @documented(
        "AI: a featured and in-article image prompts, with captions and alt text",
        body=ContentIdsIn,
        run=True,
    )
    def image_prompts(site_id, data):
        return execute_on("image_prompt_extraction", Content, data["content_ids"], site_id)

    @bp.get("/images")
    @documented(
        "Images with prompts, captions and status", query=PageQuery, response=page_of(ImageOut)
    )
    def list_images(site_id, args):
        query = on_site(Image, site_id, Image.content_id, Image.position)
        return jsonify(paginate(query, image_json))

    @bp.post("/images/generate")
    @documented("AI: generate images from their prompts", body=ImageIdsIn, run=True)
    def generate(site_id, data):
        return execute_on("image_generation", Image, data["image_ids"], site_id)
