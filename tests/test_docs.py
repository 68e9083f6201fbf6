"""Every hook has a section with its exact signature in docs/plugins.md and a test_hook_ test."""

import ast
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
    """The hook's typed signature as docs/plugins.md heads its section."""
    spec = inspect.signature(getattr(hookspecs, name))
    params = ", ".join(f"{p.name}: {p.annotation}" for p in spec.parameters.values())
    return f"{name}({params}) -> {spec.return_annotation}"


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
            "igny8_register_commands",
            "igny8_migrations_dir",
            "igny8_startup",
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


def test_the_tutorials_code_is_the_code_in_examples():
    """docs/plugins.md shows each example file whole, as it is (CI installs and tests them)."""
    docs = (ROOT / "docs" / "plugins.md").read_text()
    shown = dict(re.findall(r"<!-- (\S+) -->\n```\w+\n(.*?)```\n", docs, re.S))
    files = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "examples").rglob("*")
        if p.suffix in (".py", ".toml")
        and not {"__pycache__", "build"} & set(p.parts)
        and not any(part.endswith(".egg-info") for part in p.parts)
    )
    assert sorted(shown) == files
    for path, code in shown.items():
        assert (ROOT / path).read_text() == code, path


def test_the_echo_provider_is_twenty_lines_of_the_plugin_api():
    source = (ROOT / "examples" / "igny8_echo" / "igny8_echo" / "__init__.py").read_text()
    tree = ast.parse(source)
    body = [
        n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    lines = {line for n in body for line in range(n.lineno, n.end_lineno + 1)}
    code = [source.splitlines()[i - 1] for i in sorted(lines) if source.splitlines()[i - 1].strip()]
    assert len(code) <= 20
    imports = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imports == {"igny8.plugin"}
