"""Images: extracts image prompts with captions from articles and generates the images."""

from igny8 import hookimpl
from igny8.prompts import DefaultPrompt
from igny8.registry import Module, Operation

from .operation import PROMPT, extract_prompts, generate_image, image_failed
from .routes import blueprint

MODULE = Module(
    key="images",
    title="Images",
    description="Extracts image prompts with captions from articles and generates the images.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_register_operations(register):
    register(
        Operation(
            "image_prompt_extraction",
            module="images",
            model_type="text",
            title="Image prompt extraction",
            handler=extract_prompts,
        )
    )
    register(
        Operation(
            "image_generation",
            module="images",
            model_type="image",
            title="Image generation",
            handler=generate_image,
            on_failure=image_failed,
        )
    )


@hookimpl
def igny8_default_prompts():
    return {
        "image_prompt_extraction": DefaultPrompt(
            PROMPT, ("title", "text", "in_article_count", "sections")
        )
    }


@hookimpl
def igny8_register_blueprints(app):
    app.register_blueprint(blueprint())
