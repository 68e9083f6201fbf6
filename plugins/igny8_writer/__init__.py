"""Writer: queues ideas as writing tasks and writes full HTML articles with AI."""

from igny8 import hookimpl
from igny8.prompts import DefaultPrompt
from igny8.registry import Module, Operation

from .operation import PROMPT, queue_idea, task_failed, write_task
from .routes import blueprint

MODULE = Module(
    key="writer",
    title="Writer",
    description="Queues ideas as writing tasks and writes full HTML articles with AI.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_register_operations(register):
    register(
        Operation(
            "task_creation",
            module="writer",
            model_type=None,
            title="Queue ideas as tasks",
            handler=queue_idea,
        )
    )
    register(
        Operation(
            "content_generation",
            module="writer",
            model_type="text",
            title="Content generation",
            handler=write_task,
            on_failure=task_failed,
        )
    )


@hookimpl
def igny8_default_prompts():
    return {
        "content_generation": DefaultPrompt(
            PROMPT,
            (
                "site_name",
                "title",
                "description",
                "content_structure",
                "outline",
                "primary_keyword",
                "covered_keywords",
                "target_word_count",
            ),
        )
    }


@hookimpl
def igny8_register_blueprints(app):
    app.register_blueprint(blueprint())
