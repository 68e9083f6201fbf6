"""Internal Linker: adds internal links between a site's articles at natural anchor text."""

from igny8 import hookimpl
from igny8.registry import Module

MODULE = Module(
    key="linker",
    title="Internal Linker",
    description="Adds internal links between a site's articles at natural anchor text.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
