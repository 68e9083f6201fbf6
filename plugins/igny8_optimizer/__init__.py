"""Optimizer: rewrites articles for target keywords, keeping the original as a revision."""

from igny8 import hookimpl
from igny8.prompts import DefaultPrompt
from igny8.registry import Module, Operation

from .operation import PROMPT, optimize
from .routes import blueprint

MODULE = Module(
    key="optimizer",
    title="Optimizer",
    description="Rewrites articles for target keywords, keeping the original as a revision.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_register_operations(register):
    register(
        Operation(
            "optimization",
            module="optimizer",
            model_type="text",
            title="Optimization",
            handler=optimize,
        )
    )


@hookimpl
def igny8_default_prompts():
    return {"optimization": DefaultPrompt(PROMPT, ("title", "html", "keywords", "score"))}


@hookimpl
def igny8_register_blueprints(app):
    app.register_blueprint(blueprint())
