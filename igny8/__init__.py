"""igny8: the backend of an AI content platform. ``create_app`` builds one app."""

import os

from flask import Flask

from .paths import bundled
from .plugins import hookimpl

__all__ = ["create_app", "hookimpl"]
__version__ = "0.1.0"


def create_app(test_config=None):
    """The app factory: config, database, plugins, API, admin and CLI, nothing shared between apps."""
    from . import (  # noqa: F401  (models registers tables)
        admin,
        api,
        assets,
        cli,
        config,
        cors,
        database,
        limits,
        models,
        ratelimits,
        registry,
        routing,
        runner,
        schema,
    )
    from .api.guard import BoundedInt
    from .extensions import login_manager
    from .plugins import Plugins
    from .runs import signals

    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "IGNY8_INSTANCE_PATH"
    )
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
        template_folder=bundled("templates"),
    )
    config.load(app, test_config)
    app.url_map.converters["int"] = BoundedInt  # before any route: ids a column can hold
    app.json.sort_keys = False  # keep the documented field order in responses
    os.makedirs(app.instance_path, exist_ok=True)

    database.init_app(app)
    schema.init_app(app)
    login_manager.init_app(app)
    ratelimits.init_app(app)  # before the API's own checks: a flood is refused first
    cors.init_app(app)  # its headers go on every /api/v1 answer, errors included

    plugins = Plugins(
        load=app.config["LOAD_PLUGINS"],
        disable=app.config["DISABLE_PLUGINS"],
        extra=app.config.get("EXTRA_PLUGINS", ()),
        config=app.config,
    )
    app.extensions["igny8"] = plugins

    api.init_app(app)
    registry.check(plugins.pm)  # a malformed registration fails here, not mid-request
    routing.init_app(app, plugins.pm)
    assets.init_app(app)
    admin.init_app(app)
    cli.init_app(app, plugins.pm)
    limits.init_app(app)
    signals.init_app(app)
    runner.init_app(app)
    plugins.pm.hook.igny8_startup(app=app)
    return app
