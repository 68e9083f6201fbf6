"""Publisher: publishes content to WordPress through its REST API or to a signed webhook."""

from igny8 import hookimpl
from igny8.registry import Module

MODULE = Module(
    key="publisher",
    title="Publisher",
    description="Publishes content to WordPress through its REST API or to a signed webhook.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
