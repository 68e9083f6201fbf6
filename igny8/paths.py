"""Where igny8's data folders are: inside the package when installed from a wheel (the
build copies them in, setup.py), at the project root in a source checkout."""

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
PROJECT_ROOT = os.path.dirname(PACKAGE_DIR)


def bundled(name: str) -> str:
    """The path of ``name`` (templates, migrations, node_modules)."""
    inside = os.path.join(PACKAGE_DIR, name)
    return inside if os.path.exists(inside) else os.path.join(PROJECT_ROOT, name)
