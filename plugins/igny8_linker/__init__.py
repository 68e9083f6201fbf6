"""Internal Linker: adds internal links between a site's articles at natural anchor text."""

from igny8.plugin import AdminView, ContentLink, DefaultPrompt, Module, Operation, hookimpl

from .operation import PROMPT, link_content
from .routes import routes

MODULE = Module(
    key="linker",
    title="Internal Linker",
    description="Adds internal links between a site's articles at natural anchor text.",
    operations=(
        Operation(
            "linking",
            title="Internal linking",
            handler=link_content,
            prompt=DefaultPrompt(PROMPT, ("title", "text", "candidates")),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(ContentLink),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
