"""Keyword Clustering: groups a site's keywords into topic clusters with AI."""

from igny8.plugin import AdminView, Cluster, DefaultPrompt, Module, Operation, Stage, hookimpl

from .operation import PROMPT, batches, cluster_batch, unclustered
from .routes import routes

MODULE = Module(
    key="clustering",
    title="Keyword Clustering",
    description="Groups a site's keywords into topic clusters with AI.",
    operations=(
        Operation(
            "clustering",
            title="Keyword clustering",
            handler=cluster_batch,
            prepare=batches,
            min_credits=2,
            stage=Stage(10, "keywords -> clusters", lambda site: unclustered(site.id)),
            prompt=DefaultPrompt(PROMPT, ("site_name", "keywords")),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(Cluster),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
