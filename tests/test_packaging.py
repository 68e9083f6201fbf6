"""The wheel carries every package of the core (a new folder must be listed in setup.cfg)."""

import configparser
import pathlib

ROOT = pathlib.Path(__file__).parent.parent


def test_every_core_package_is_in_setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "igny8").rglob("__init__.py")
    }
    assert found - listed == set()
