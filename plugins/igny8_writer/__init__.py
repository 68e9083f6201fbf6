"""Writer: queues ideas as writing tasks and writes full HTML articles with AI."""

from igny8.plugin import AdminView, DefaultPrompt, Module, Operation, Stage, Task, hookimpl

from .operation import (
    PROMPT,
    ideas_without_tasks,
    queue_idea,
    task_failed,
    tasks_to_write,
    write_task,
)
from .routes import routes

MODULE = Module(
    key="writer",
    title="Writer",
    description="Queues ideas as writing tasks and writes full HTML articles with AI.",
    operations=(
        Operation(
            "task_creation",
            model_type=None,
            title="Queue ideas as tasks",
            handler=queue_idea,
            stage=Stage(30, "ideas -> tasks", ideas_without_tasks),
        ),
        Operation(
            "content_generation",
            title="Content generation",
            handler=write_task,
            on_failure=task_failed,
            min_credits=3,
            stage=Stage(40, "tasks -> content", tasks_to_write),
            prompt=DefaultPrompt(
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
            ),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(Task),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
