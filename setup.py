"""Packaging (metadata in setup.cfg): the wheel carries the top-level templates/ and
migrations/ folders and the Chart.js build from npm inside the igny8 package, so an
installed igny8 runs outside a checkout (igny8/paths.py finds them there)."""

import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = pathlib.Path(__file__).parent
CHART_JS = "node_modules/chart.js/dist/chart.umd.js"
BUNDLED = ("templates", "migrations", CHART_JS)


class BuildWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout
            return
        if not (ROOT / CHART_JS).exists():
            raise SystemExit(f"{CHART_JS} is missing: run `npm ci` before building")
        package = pathlib.Path(self.build_lib) / "igny8"
        for name in BUNDLED:
            source, target = ROOT / name, package / name
            if source.is_dir():
                shutil.copytree(
                    source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithData})
