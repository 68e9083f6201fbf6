"""What plugins register: modules, operations, providers, health checks, default prompts.

Collected fresh from the plugin manager on each call, so a plugin registered or
unregistered at run time (tests do this) is seen at once. Each collection costs a
handful of microseconds.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

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
class Module:
    """A switchable content module (shown in the frontend's sidebar)."""

    key: str
    title: str
    description: str = ""

    def __post_init__(self):
        _check_key("module", self.key)
        if not self.title:
            raise RegistrationError(f"module {self.key!r} needs a title")


@dataclass(frozen=True)
class Operation:
    """A metered AI operation that belongs to a module."""

    key: str
    module: str
    model_type: str
    title: str
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

    def __post_init__(self):
        _check_key("operation", self.key)
        # None: an operation that calls no model (e.g. publishing); it is never metered.
        if self.model_type not in (*MODEL_TYPES, None):
            raise RegistrationError(
                f"operation {self.key!r}: model_type must be one of {MODEL_TYPES} or None"
            )
        if self.prompt_key is None:
            object.__setattr__(self, "prompt_key", self.key)


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


def _collect(hook, kind: str, expected: type | None, key_of) -> dict:
    found = {}

    def register(item):
        if expected is not None and not isinstance(item, expected):
            raise RegistrationError(f"{hook.name}: {item!r} is not a {expected.__name__}")
        key = key_of(item)
        if key in found:
            raise RegistrationError(f"{kind} {key!r} is registered twice")
        found[key] = item

    hook(register=register)
    return found


def modules(pm) -> dict[str, Module]:
    return _collect(pm.hook.igny8_register_modules, "module", Module, lambda m: m.key)


def operations(pm) -> dict[str, Operation]:
    return _collect(pm.hook.igny8_register_operations, "operation", Operation, lambda o: o.key)


def providers(pm) -> dict:
    return _collect(pm.hook.igny8_register_providers, "provider", None, lambda p: p.name)


def health_checks(pm) -> dict[str, HealthCheck]:
    return _collect(
        pm.hook.igny8_register_health_checks, "health check", HealthCheck, lambda c: c.name
    )


def default_prompts(pm) -> dict[str, str]:
    merged: dict[str, str] = {}
    # pluggy calls the most recently registered plugin first; reverse so that the
    # first plugin to claim a key keeps it and a clash is reported, not hidden.
    for prompts in reversed(pm.hook.igny8_default_prompts()):
        for key, template in (prompts or {}).items():
            if key in merged:
                raise RegistrationError(f"default prompt {key!r} is provided twice")
            merged[key] = template
    return merged
