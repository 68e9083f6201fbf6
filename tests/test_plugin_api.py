"""The plugin API is one module: built-in plugins are written as a third party would,
importing nothing from igny8 but igny8.plugin (igny8.testing in their tests)."""

import ast
import pathlib
import types

import pytest

import igny8.plugin

PLUGINS = pathlib.Path(__file__).parent.parent / "plugins"
CORE_MODULES = pathlib.Path(__file__).parent.parent / "igny8"


def igny8_imports(path: pathlib.Path) -> set[str]:
    """The igny8 modules a file imports (``from igny8 import x`` counts as igny8.x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "igny8"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "igny8":
                found |= {f"igny8.{a.name}" for a in node.names}
            elif node.module.startswith("igny8."):
                found.add(node.module)
    return found


@pytest.mark.parametrize(
    "path", sorted(PLUGINS.rglob("*.py")), ids=lambda p: str(p.relative_to(PLUGINS))
)
def test_a_builtin_plugin_imports_only_the_plugin_api(path):
    assert igny8_imports(path) <= {"igny8.plugin"}


def test_the_check_sees_other_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from igny8 import hookimpl\nimport igny8.models\nfrom igny8.plugin import db\n"
    )
    assert igny8_imports(sample) == {"igny8.hookimpl", "igny8.models", "igny8.plugin"}


def test_the_plugin_api_exports_what_it_lists():
    missing = [name for name in igny8.plugin.__all__ if not hasattr(igny8.plugin, name)]
    assert missing == []
    for name in (
        "hookimpl",
        "Provider",
        "ProviderError",
        "Usage",
        "Module",
        "Operation",
        "DefaultPrompt",
        "ItemError",
        "OutputError",
        "parse_json",
        "HealthCheck",
        "module_blueprint",
        "db",
    ):
        assert name in igny8.plugin.__all__


def test_the_core_names_no_builtin_plugin():
    """The core works with whatever plugins are loaded: no module of igny8/ names one."""
    names = [p.name for p in PLUGINS.iterdir() if p.is_dir() and p.name.startswith("igny8_")]
    for path in CORE_MODULES.rglob("*.py"):
        text = path.read_text()
        assert not [n for n in names if n in text], path


def test_provider_hooks_register_the_providers_and_read_their_usage():
    import pluggy

    from igny8 import hookspecs, registry
    from igny8.plugin import Provider, Usage, provider_hooks

    class Two(Provider):
        name = "two"
        model_types = ("text",)

    plugin = types.ModuleType("two")
    plugin.igny8_register_providers, plugin.igny8_report_usage = provider_hooks(
        Two(), usage=lambda response: Usage(input_tokens=response)
    )
    pm = pluggy.PluginManager("igny8")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, name="two")
    assert list(registry.providers(pm)) == ["two"]
    report = registry.usage_reporter(pm, "two")
    assert report(provider="two", model="m", response=5) == Usage(input_tokens=5)
