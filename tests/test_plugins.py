"""Loading plugins from the igny8 entry-point group, filtering, and `flask igny8 plugins`."""

import json

import pytest

from igny8 import create_app
from igny8.plugins import Plugins

BUILTIN_MODULES = {"clustering", "ideas", "writer", "images", "optimizer", "linker", "publisher"}
BUILTIN_PROVIDERS = {"openai", "anthropic", "gemini", "runware", "offline"}
BUILTINS = BUILTIN_MODULES | BUILTIN_PROVIDERS


def loaded(plugins):
    return {name for name, info in plugins.info.items() if info.source != "default"}


def test_all_builtin_plugins_load_from_entry_points():
    plugins = Plugins()
    assert BUILTIN_MODULES <= loaded(plugins)
    assert all(plugins.info[name].distribution == "igny8" for name in BUILTIN_MODULES)
    assert all(plugins.info[name].source == "builtin" for name in BUILTIN_MODULES)


def test_load_plugins_by_entry_point_name():
    assert loaded(Plugins(load="writer, ideas")) == {"writer", "ideas"}


def test_load_plugins_by_distribution_name():
    assert BUILTIN_MODULES <= loaded(Plugins(load="IGNY8"))


def test_empty_load_plugins_loads_none_but_core_defaults():
    plugins = Plugins(load="")
    assert loaded(plugins) == set()
    assert "igny8.default_plugins.health" in plugins.info


def test_disable_plugins():
    assert loaded(Plugins(disable="linker,publisher")) & {"linker", "publisher"} == set()
    assert loaded(Plugins(load="igny8", disable="igny8")) == set()


def test_environment_variables_reach_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("IGNY8_LOAD_PLUGINS", "clustering")
    monkeypatch.setenv("IGNY8_DISABLE_PLUGINS", "")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    assert loaded(app.extensions["igny8"]) == {"clustering"}


def test_two_apps_never_share_a_plugin_manager(tmp_path):
    a = create_app({"INSTANCE_PATH": str(tmp_path / "a"), "DATABASE_URL": "sqlite://"})
    b = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "b"),
            "DATABASE_URL": "sqlite://",
            "LOAD_PLUGINS": "writer",
        }
    )
    assert a.extensions["igny8"].pm is not b.extensions["igny8"].pm
    assert "clustering" in a.extensions["igny8"].info
    assert "clustering" not in b.extensions["igny8"].info


def test_cli_plugins_all_lists_every_builtin_with_hooks(runner):
    result = runner.invoke(args=["igny8", "plugins", "--all"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert BUILTIN_MODULES <= set(rows)
    for name in BUILTIN_MODULES:
        assert rows[name]["version"] == "0.1.0"
        assert "igny8_register_modules" in rows[name]["hooks"]
    assert rows["igny8.default_plugins.health"]["hooks"] == ["igny8_register_health_checks"]


def test_cli_plugins_without_all_hides_builtins(runner):
    result = runner.invoke(args=["igny8", "plugins"])
    assert result.exit_code == 0
    assert not {row["name"] for row in json.loads(result.output)} & BUILTIN_MODULES


def test_cli_plugins_filtered_by_hook(runner):
    result = runner.invoke(args=["igny8", "plugins", "--all", "--hook", "register_health_checks"])
    assert [row["name"] for row in json.loads(result.output)] == ["igny8.default_plugins.health"]


def test_cli_plugins_unknown_hook_is_a_usage_error(runner):
    result = runner.invoke(args=["igny8", "plugins", "--hook", "nope"])
    assert result.exit_code == 2
    assert "no hook 'igny8_nope'" in result.output


@pytest.mark.parametrize("value", ["writer", "igny8"])
def test_cli_respects_load_plugins(value, make_app):
    app = make_app(LOAD_PLUGINS=value, seeded=False)
    rows = json.loads(app.test_cli_runner().invoke(args=["igny8", "plugins", "--all"]).output)
    names = {r["name"] for r in rows if r["source"] == "builtin"}
    assert names == ({"writer"} if value == "writer" else BUILTINS)


def test_a_misspelt_hook_fails_at_start_up_naming_the_plugin_and_the_hook():
    """pluggy ignores an implementation of a hook that does not exist; igny8 checks every
    plugin as it registers it (pm.check_pending), so a misspelling is found at start-up."""
    from igny8 import hookimpl
    from igny8.plugins import PluginError

    class Misspelt:
        @hookimpl
        def igny8_register_module(self, register):  # the hook is igny8_register_modules
            raise AssertionError("never called")

    with pytest.raises(PluginError) as refused:
        Plugins(load="", extra=[Misspelt()])
    message = str(refused.value)
    assert "plugin 'Misspelt'" in message and "igny8_register_module," in message
    assert "a misspelling?" in message
    with pytest.raises(PluginError, match="igny8_register_module"):
        Plugins(extra=[Misspelt()])  # beside every built-in plugin
    # The hooks igny8 has, spelt right, load as ever (every built-in is checked above).
    assert "igny8_register_modules" in Plugins(load="").hook_names()
