"""What plugins register: modules, operations, providers, health checks, default prompts.

Collected fresh from the plugin manager on each call, so a plugin registered or
unregistered at run time (tests do this) is seen at once. Each collection costs a
handful of microseconds.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .ai.provider import Provider

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
MODEL_TYPES = ("text", "image")


class RegistrationError(ValueError):
    """A plugin registered something malformed or a duplicate key."""


def _check_key(kind: str, key: str) -> None:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise RegistrationError(
            f"{kind} key {key!r} must be lowercase letters, digits and underscores (2-60 chars)"
        )


@dataclass(frozen=True)
class DefaultPrompt:
    """An operation's default prompt: the template and the variables it may use."""

    template: str
    variables: tuple[str, ...]


@dataclass(frozen=True)
class Stage:
    """Where an operation runs in `flask igny8 pipeline`: stages run by ``order``;
    ``pending(site)`` lists the items left to do for a site (as the operation takes them)."""

    order: int
    label: str
    pending: Callable


@dataclass(frozen=True)
class Operation:
    """A metered AI operation that belongs to a module."""

    key: str
    # The module it belongs to: set by the Module that lists it.
    module: str | None = None
    # "text", "image", or None for an operation that calls no model (e.g. publishing).
    model_type: str | None = "text"
    title: str = ""
    description: str = ""
    # The prompt template this operation renders; defaults to the operation's key.
    prompt_key: str | None = None
    # handler(ctx, item) -> dict: does the work for one item through ctx's metered calls.
    handler: Callable | None = field(default=None, compare=False, hash=False)
    # prepare(items) -> work items: how the caller's items (e.g. keyword ids) become units of
    # work (e.g. batches). Every path (API, CLI, automation) passes plain items.
    prepare: Callable | None = field(default=None, compare=False, hash=False)
    # on_failure(ctx, item, error) -> None: records a failed item (error: {"code", "message"})
    # after the engine rolled the item's writes back; the engine commits what it writes.
    on_failure: Callable | None = field(default=None, compare=False, hash=False)
    # The fewest credits one metered call of it takes (seeded as its CreditCostConfig).
    min_credits: int = 1
    stage: Stage | None = field(default=None, compare=False, hash=False)
    # Its default prompt (seeded under prompt_key).
    prompt: DefaultPrompt | None = None

    def __post_init__(self):
        _check_key("operation", self.key)
        if self.model_type not in (*MODEL_TYPES, None):
            raise RegistrationError(
                f"operation {self.key!r}: model_type must be one of {MODEL_TYPES} or None"
            )
        if not isinstance(self.min_credits, int) or self.min_credits < 0:
            raise RegistrationError(f"operation {self.key!r}: min_credits must be an int >= 0")
        if self.prompt_key is None:
            object.__setattr__(self, "prompt_key", self.key)
        if not self.title:
            object.__setattr__(self, "title", self.key.replace("_", " ").capitalize())


@dataclass(frozen=True)
class AdminView:
    """A Flask-Admin model view a module brings (shown only while the module is on)."""

    model: type
    view: type | None = None  # a SecuredModelView subclass; the core's default when None
    name: str | None = None
    category: str = "Content"


@dataclass(frozen=True)
class Module:
    """A switchable content module (shown in the frontend's sidebar), with everything it
    brings: its operations, its JSON routes (``routes()`` returns a Blueprint) and its
    admin views. Switching it off refuses its routes and operations, hides its admin
    views and drops its pipeline stages."""

    key: str
    title: str
    description: str = ""
    operations: tuple[Operation, ...] = ()
    routes: Callable | None = field(default=None, compare=False, hash=False)
    admin_views: tuple[AdminView, ...] = ()

    def __post_init__(self):
        _check_key("module", self.key)
        if not self.title:
            raise RegistrationError(f"module {self.key!r} needs a title")
        operations = []
        for op in self.operations:
            if not isinstance(op, Operation):
                raise RegistrationError(f"module {self.key!r}: {op!r} is not an Operation")
            if op.module not in (None, self.key):
                raise RegistrationError(
                    f"operation {op.key!r} is listed by module {self.key!r} "
                    f"but says module {op.module!r}"
                )
            operations.append(replace(op, module=self.key))
        object.__setattr__(self, "operations", tuple(operations))


@dataclass(frozen=True)
class HealthResult:
    """``ok`` False is red; ``warn`` marks an ok result amber (working, but look)."""

    ok: bool
    detail: str = ""
    warn: bool = False

    @property
    def level(self) -> str:
        return "red" if not self.ok else "amber" if self.warn else "green"


LEVELS = ("green", "amber", "red")


def overall_level(results) -> str:
    """The worst level of the results."""
    return max((r.level for r in results), key=LEVELS.index, default="green")


@dataclass(frozen=True)
class HealthCheck:
    """``check()`` returns a HealthResult (or a bool); it must never reveal a secret."""

    name: str
    check: Callable[[], "HealthResult | bool"]

    def run(self) -> HealthResult:
        try:
            result = self.check()
        except Exception as exc:  # a failing check is a result, not a crash
            return HealthResult(False, f"{type(exc).__name__}: {exc}")
        return result if isinstance(result, HealthResult) else HealthResult(bool(result))


def _collect(hook, kind: str, expected: type | None, key_of, plugins=None) -> dict:
    found = {}
    for impl in hook.get_hookimpls():

        def register(item, plugin=impl.plugin):
            if expected is not None and not isinstance(item, expected):
                raise RegistrationError(f"{hook.name}: {item!r} is not a {expected.__name__}")
            key = key_of(item)
            if key in found:
                raise RegistrationError(f"{kind} {key!r} is registered twice")
            found[key] = item
            if plugins is not None:
                plugins[key] = plugin

        impl.function(**{name: register for name in impl.argnames})
    return found


def modules(pm) -> dict[str, Module]:
    return _collect(pm.hook.igny8_register_modules, "module", Module, lambda m: m.key)


def operations(pm) -> dict[str, Operation]:
    """Every operation: those modules list, and those igny8_register_operations adds to a
    registered module."""
    registered = modules(pm)
    found = {}
    for module in registered.values():
        for op in module.operations:
            if op.key in found:
                raise RegistrationError(f"operation {op.key!r} is registered twice")
            found[op.key] = op
    for key, op in _collect(
        pm.hook.igny8_register_operations, "operation", Operation, lambda o: o.key
    ).items():
        if key in found:
            raise RegistrationError(f"operation {key!r} is registered twice")
        if op.module not in registered:
            raise RegistrationError(
                f"operation {key!r} belongs to module {op.module!r}, which is not registered"
            )
        found[key] = op
    return found


def providers(pm) -> dict[str, Provider]:
    return _collect(pm.hook.igny8_register_providers, "provider", Provider, lambda p: p.name)


def provider_and_reporter(pm, provider_name: str):
    """(the provider, its usage reporter) from one collection, or (None, None) when no
    plugin registers it. The reporter is igny8_report_usage of the plugin that registered
    the provider, and of no other: a plugin reads only its own providers' responses."""
    owners: dict = {}
    found = _collect(
        pm.hook.igny8_register_providers, "provider", Provider, lambda p: p.name, owners
    )
    owner = owners.get(provider_name)
    if owner is None:
        return None, None
    others = [p for p in pm.get_plugins() if p is not owner]
    return found[provider_name], pm.subset_hook_caller("igny8_report_usage", remove_plugins=others)


def usage_reporter(pm, provider_name: str):
    """The usage reporter of ``provider_name`` (see provider_and_reporter), or None."""
    return provider_and_reporter(pm, provider_name)[1]


def health_checks(pm) -> dict[str, HealthCheck]:
    return _collect(
        pm.hook.igny8_register_health_checks, "health check", HealthCheck, lambda c: c.name
    )


def default_prompts(pm) -> dict[str, "DefaultPrompt | str"]:
    """Operations' own prompts, then what igny8_default_prompts returns (a DefaultPrompt
    or a bare template per key); a key given twice is a plugin error."""
    merged: dict = {}

    def add(key, prompt):
        if key in merged:
            raise RegistrationError(f"default prompt {key!r} is provided twice")
        merged[key] = prompt

    for op in operations(pm).values():
        if op.prompt is not None:
            add(op.prompt_key, op.prompt)
    # pluggy calls the most recently registered plugin first; reverse so that the
    # first plugin to claim a key keeps it and a clash is reported, not hidden.
    for prompts in reversed(pm.hook.igny8_default_prompts()):
        for key, template in (prompts or {}).items():
            add(key, template)
    return merged


def stages(pm) -> list[Operation]:
    """The operations with a pipeline stage, in the order they run."""
    return sorted(
        (op for op in operations(pm).values() if op.stage is not None),
        key=lambda op: (op.stage.order, op.key),
    )


def check(pm) -> None:
    """Collect everything once, so a malformed registration fails at start-up."""
    operations(pm)
    providers(pm)
    health_checks(pm)
    default_prompts(pm)


def provider_hooks(*providers, usage: Callable):
    """A provider plugin's two hooks, written once: its module assigns them,

        igny8_register_providers, igny8_report_usage = provider_hooks(AcmeProvider(), usage=usage_of)

    registering ``providers`` and reading their raw responses with ``usage(response)``
    (a Usage, or None when a response carries none). A plugin may write both hooks itself."""
    from .plugins import hookimpl

    @hookimpl
    def igny8_register_providers(register):
        for provider in providers:
            register(provider)

    @hookimpl
    def igny8_report_usage(provider, model, response):
        return usage(response)

    return igny8_register_providers, igny8_report_usage
