"""Content Ideas: turns keyword clusters into article ideas with outlines and target word counts."""

from igny8.plugin import (
    AdminView,
    ContentIdea,
    DefaultPrompt,
    Module,
    Operation,
    Stage,
    hookimpl,
)

from .operation import PROMPT, clusters_without_ideas, ideas_for_cluster
from .routes import routes

MODULE = Module(
    key="ideas",
    title="Content Ideas",
    description="Turns keyword clusters into article ideas with outlines and target word counts.",
    operations=(
        Operation(
            "idea_generation",
            title="Idea generation",
            handler=ideas_for_cluster,
            stage=Stage(20, "clusters -> ideas", clusters_without_ideas),
            prompt=DefaultPrompt(
                PROMPT, ("site_name", "cluster_name", "cluster_description", "keywords")
            ),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(ContentIdea),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
