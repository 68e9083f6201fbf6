"""Builds the plugin manager for one app. There is no module-global manager."""

import importlib
import importlib.metadata
import re
from dataclasses import dataclass

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "igny8"
CORE_DISTRIBUTION = "igny8"

hookimpl = pluggy.HookimplMarker("igny8")

# Behaviour the core ships as plugins of its own (Datasette-style default plugins).
# A default plugin with ``enabled(config)`` loads only when that says so (costing nothing
# otherwise: the alerts plugin runs on every metered call once it is on).
DEFAULT_PLUGINS = ("igny8.default_plugins.health", "igny8.default_plugins.alerts")


class PluginError(Exception):
    """A plugin that cannot be loaded as written; the message names it."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str | None
    distribution: str | None
    # "default" (the core's own), "builtin" (plugins/ shipped with igny8), "third_party"
    source: str


def _distribution(name: str):
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        return None


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(value) -> set[str] | None:
    """A comma-separated setting as a set of normalised names; None when unset."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    return {_normalise(v.strip()) for v in value if v and v.strip()}


class Plugins:
    """The app's plugin manager plus what is known about each loaded plugin."""

    def __init__(self, load=None, disable=None, extra=(), config=None):
        self.pm = pluggy.PluginManager("igny8")
        self.pm.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        core = _distribution(CORE_DISTRIBUTION)
        for module_name in DEFAULT_PLUGINS:
            module = importlib.import_module(module_name)
            enabled = getattr(module, "enabled", None)
            if enabled is None or enabled(config or {}):
                self.register(module, module_name, "default", core)
        self._load_entry_points(_names(load), _names(disable) or set())
        for plugin in extra:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            self.register(plugin, name, source="third_party")

    def _load_entry_points(self, load: set[str] | None, disable: set[str]) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist else None
            names = {_normalise(ep.name)} | ({_normalise(dist)} if dist else set())
            if load is not None and not names & load:
                continue
            if names & disable:
                continue
            source = "builtin" if dist and _normalise(dist) == CORE_DISTRIBUTION else "third_party"
            self.register(ep.load(), ep.name, source=source, dist=ep.dist)

    def register(self, plugin, name: str, source: str = "third_party", dist=None) -> None:
        self.pm.register(plugin, name=name)
        try:
            # A hook implementation with no such hook (a misspelling: igny8_register_module)
            # would otherwise never be called, and nobody told.
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            callers = self.pm.get_hookcallers(plugin) or []
            unknown = sorted(caller.name for caller in callers if not caller.has_spec())
            self.pm.unregister(name=name)
            raise PluginError(
                f"plugin {name!r} implements {', '.join(unknown)}, which igny8 has no hook "
                "for: a misspelling? (the hooks are listed in docs/plugins.md)"
            ) from exc
        self.info[name] = PluginInfo(
            name=name,
            version=dist.version if dist else getattr(plugin, "__version__", None),
            distribution=dist.metadata["Name"] if dist else None,
            source=source,
        )

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.info.pop(name, None)

    def listing(self, include_all: bool = False, hook: str | None = None) -> list[dict]:
        """The JSON-able list behind `flask igny8 plugins` and System Health."""
        rows = []
        for name, plugin in self.pm.list_name_plugin():
            info = self.info.get(name) or PluginInfo(name, None, None, "third_party")
            if not include_all and info.source != "third_party":
                continue
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            if hook and hook not in hooks:
                continue
            rows.append(
                {
                    "name": name,
                    "version": info.version,
                    "distribution": info.distribution,
                    "source": info.source,
                    "hooks": hooks,
                }
            )
        return sorted(rows, key=lambda r: r["name"])

    def hook_names(self) -> list[str]:
        return sorted(n for n in dir(self.pm.hook) if n.startswith("igny8_"))


def current_plugins(app=None) -> Plugins:
    from flask import current_app

    return (app or current_app).extensions["igny8"]
