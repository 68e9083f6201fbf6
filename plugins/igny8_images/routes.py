"""POST content/image-prompts, GET images, POST images/generate."""

from flask import jsonify

from igny8.plugin import (
    Content,
    ContentIdsIn,
    Image,
    PageQuery,
    documented,
    execute_on,
    ids_schema,
    image_json,
    on_site,
    paginate,
)

ImageIdsIn = ids_schema("ImageIdsIn", "image_ids")


def routes(bp):
    @bp.post("/content/image-prompts")
    @documented(
        "AI: a featured and in-article image prompts, with captions and alt text",
        body=ContentIdsIn,
    )
    def image_prompts(site_id, data):
        return execute_on("image_prompt_extraction", Content, data["content_ids"], site_id)

    @bp.get("/images")
    @documented("Images with prompts, captions and status", query=PageQuery)
    def list_images(site_id, args):
        query = on_site(Image, site_id, Image.content_id, Image.position)
        return jsonify(paginate(query, image_json))

    @bp.post("/images/generate")
    @documented("AI: generate images from their prompts", body=ImageIdsIn)
    def generate(site_id, data):
        return execute_on("image_generation", Image, data["image_ids"], site_id)
