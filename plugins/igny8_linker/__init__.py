"""Internal Linker: adds internal links between a site's articles at natural anchor text."""

from igny8 import hookimpl
from igny8.prompts import DefaultPrompt
from igny8.registry import Module, Operation

from .operation import PROMPT, link_content
from .routes import blueprint

MODULE = Module(
    key="linker",
    title="Internal Linker",
    description="Adds internal links between a site's articles at natural anchor text.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_register_operations(register):
    register(
        Operation(
            "linking",
            module="linker",
            model_type="text",
            title="Internal linking",
            handler=link_content,
        )
    )


@hookimpl
def igny8_default_prompts():
    return {"linking": DefaultPrompt(PROMPT, ("title", "text", "candidates"))}


@hookimpl
def igny8_register_blueprints(app):
    app.register_blueprint(blueprint())
