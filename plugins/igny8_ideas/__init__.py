"""Content Ideas: turns keyword clusters into article ideas with outlines and target word counts."""

from igny8 import hookimpl
from igny8.registry import Module

MODULE = Module(
    key="ideas",
    title="Content Ideas",
    description="Turns keyword clusters into article ideas with outlines and target word counts.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
