"""Keyword Clustering: groups a site's keywords into topic clusters with AI."""

from igny8 import hookimpl
from igny8.registry import Module

MODULE = Module(
    key="clustering",
    title="Keyword Clustering",
    description="Groups a site's keywords into topic clusters with AI.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
