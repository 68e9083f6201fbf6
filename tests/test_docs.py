"""Every hook has a section with its exact signature in docs/plugins.md and a test_hook_ test."""

import inspect
import re
from pathlib import Path

import pytest

from igny8 import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(
    n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("igny8_")
)


def signature(name):
    params = inspect.signature(getattr(hookspecs, name)).parameters
    return f"{name}({', '.join(params)})"


def test_every_design_hook_is_specified():
    assert HOOKS == sorted(
        [
            "igny8_register_providers",
            "igny8_report_usage",
            "igny8_register_modules",
            "igny8_register_operations",
            "igny8_default_prompts",
            "igny8_register_blueprints",
            "igny8_register_admin_views",
            "igny8_register_health_checks",
            "igny8_usage_recorded",
        ]
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook):
    docs = (ROOT / "docs" / "plugins.md").read_text()
    assert f"### {signature(hook)}\n" in docs


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test_named_after_it(hook):
    wanted = re.compile(rf"^def test_hook_{hook.removeprefix('igny8_')}\(", re.M)
    assert any(wanted.search(p.read_text()) for p in (ROOT / "tests").glob("test_*.py"))


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()
