"""Publisher: publishes content to WordPress through its REST API or to a signed webhook."""

from igny8.plugin import AdminView, Module, Operation, Publication, Stage, hookimpl

from .routes import publish_failed, publish_item, routes, unpublished

MODULE = Module(
    key="publisher",
    title="Publisher",
    description="Publishes content to WordPress through its REST API or to a signed webhook.",
    operations=(
        Operation(
            "publishing",
            model_type=None,
            title="Publishing",
            handler=publish_item,
            on_failure=publish_failed,
            stage=Stage(70, "content -> published", unpublished),
        ),
    ),
    routes=routes,
    admin_views=(AdminView(Publication),),
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)
