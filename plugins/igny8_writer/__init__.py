"""Writer: queues ideas as writing tasks and writes full HTML articles with AI."""

from igny8 import hookimpl
from igny8.registry import Module

MODULE = Module(
    key="writer",
    title="Writer",
    description="Queues ideas as writing tasks and writes full HTML articles with AI.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
