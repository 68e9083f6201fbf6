"""Keyword Clustering: groups a site's keywords into topic clusters with AI."""

from igny8 import hookimpl
from igny8.prompts import DefaultPrompt
from igny8.registry import Module, Operation

from .operation import PROMPT, batches, cluster_batch
from .routes import blueprint

MODULE = Module(
    key="clustering",
    title="Keyword Clustering",
    description="Groups a site's keywords into topic clusters with AI.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_register_operations(register):
    register(
        Operation(
            "clustering",
            module="clustering",
            model_type="text",
            title="Keyword clustering",
            handler=cluster_batch,
            prepare=batches,
        )
    )


@hookimpl
def igny8_default_prompts():
    return {"clustering": DefaultPrompt(PROMPT, ("site_name", "keywords"))}


@hookimpl
def igny8_register_blueprints(app):
    app.register_blueprint(blueprint())
