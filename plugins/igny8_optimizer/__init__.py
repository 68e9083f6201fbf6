"""Optimizer: rewrites articles for target keywords, keeping the original as a revision."""

from igny8.plugin import AdminView, ContentRevision, DefaultPrompt, Module, Operation, hookimpl

from .operation import PROMPT, optimize
from .routes import routes

MODULE = Module(
    key="optimizer",
    title="Optimizer",
    description="Rewrites articles for target keywords, keeping the original as a revision.",
    operations=(
        Operation(
            "optimization",
            title="Optimization",
            handler=optimize,
            prompt=DefaultPrompt(PROMPT, ("title", "html", "keywords", "score")),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(ContentRevision),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
