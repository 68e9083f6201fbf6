"""Front-end assets from the npm registry (package.json), bundled by flask-assets: the
admin reports load Chart.js from this app, never from a CDN."""

import os

from flask_assets import Bundle, Environment

from .paths import bundled

NODE_MODULES = bundled("node_modules")


def init_app(app) -> Environment:
    # igny8 has no static files of its own, only what flask-assets builds: they go to the
    # instance folder, never into the installed package.
    app.static_folder = os.path.join(app.instance_path, "static")
    assets = Environment(app)
    assets.load_path = [NODE_MODULES]
    cache = os.path.join(app.instance_path, "assets-cache")
    os.makedirs(cache, exist_ok=True)
    assets.cache = cache
    assets.manifest = False
    assets.register("chartjs", Bundle("chart.js/dist/chart.umd.js", output="gen/chart.umd.js"))
    return assets
