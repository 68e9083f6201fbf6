"""Publisher: publishes content to WordPress through its REST API or to a signed webhook."""

from igny8 import hookimpl
from igny8.registry import Module, Operation

from .routes import blueprint, publish_failed, publish_item

MODULE = Module(
    key="publisher",
    title="Publisher",
    description="Publishes content to WordPress through its REST API or to a signed webhook.",
)


@hookimpl
def igny8_register_modules(register):
    register(MODULE)


@hookimpl
def igny8_register_operations(register):
    register(
        Operation(
            "publishing",
            module="publisher",
            model_type=None,
            title="Publishing",
            handler=publish_item,
            on_failure=publish_failed,
        )
    )


@hookimpl
def igny8_register_blueprints(app):
    app.register_blueprint(blueprint())
