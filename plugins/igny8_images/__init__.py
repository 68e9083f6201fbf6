"""Images: extracts image prompts with captions from articles and generates the images."""

from igny8 import hookimpl
from igny8.registry import Module

MODULE = Module(
    key="images",
    title="Images",
    description="Extracts image prompts with captions from articles and generates the images.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
