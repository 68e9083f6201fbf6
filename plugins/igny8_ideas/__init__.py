"""Content Ideas: turns keyword clusters into article ideas with outlines and target word counts."""

from igny8 import hookimpl
from igny8.prompts import DefaultPrompt
from igny8.registry import Module, Operation

from .operation import PROMPT, ideas_for_cluster
from .routes import blueprint

MODULE = Module(
    key="ideas",
    title="Content Ideas",
    description="Turns keyword clusters into article ideas with outlines and target word counts.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_register_operations(register):
    register(
        Operation(
            "idea_generation",
            module="ideas",
            model_type="text",
            title="Idea generation",
            handler=ideas_for_cluster,
        )
    )


@hookimpl
def igny8_default_prompts():
    return {
        "idea_generation": DefaultPrompt(
            PROMPT, ("site_name", "cluster_name", "cluster_description", "keywords")
        )
    }


@hookimpl
def igny8_register_blueprints(app):
    app.register_blueprint(blueprint())
