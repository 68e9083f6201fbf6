"""Images: extracts image prompts with captions from articles and generates the images."""

from igny8.plugin import AdminView, DefaultPrompt, Image, Module, Operation, Stage, hookimpl

from .admin import ImageView
from .operation import (
    PROMPT,
    contents_without_images,
    extract_prompts,
    generate_image,
    image_failed,
    images_to_generate,
)
from .routes import routes

MODULE = Module(
    key="images",
    title="Images",
    description="Extracts image prompts with captions from articles and generates the images.",
    operations=(
        Operation(
            "image_prompt_extraction",
            title="Image prompt extraction",
            handler=extract_prompts,
            stage=Stage(50, "content -> image prompts", contents_without_images),
            prompt=DefaultPrompt(PROMPT, ("title", "text", "in_article_count", "sections")),
        ),
        Operation(
            "image_generation",
            model_type="image",
            title="Image generation",
            handler=generate_image,
            on_failure=image_failed,
            stage=Stage(60, "prompts -> images", images_to_generate),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(Image, ImageView),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
