"""Optimizer: rewrites articles for target keywords, keeping the original as a revision."""

from igny8 import hookimpl
from igny8.registry import Module

MODULE = Module(
    key="optimizer",
    title="Optimizer",
    description="Rewrites articles for target keywords, keeping the original as a revision.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
