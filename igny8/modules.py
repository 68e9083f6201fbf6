"""Module switches: which registered content modules are on."""

from flask import has_request_context, request
from sqlalchemy import select

from . import registry
from .extensions import db
from .models import ModuleSetting
from .plugins import current_plugins

_SWITCHES = "igny8.module_switches"


class UnknownModule(LookupError):
    pass


def registered() -> dict[str, registry.Module]:
    return registry.modules(current_plugins().pm)


def _switches() -> dict[str, bool]:
    """The stored switches; read once per request (the route gate, the engine and the
    admin menu all ask), afresh each time outside one."""
    cache = request.environ if has_request_context() else {}  # (g may outlive a request)
    if _SWITCHES not in cache:
        cache[_SWITCHES] = dict(
            db.session.execute(select(ModuleSetting.module_key, ModuleSetting.enabled)).all()
        )
    return cache[_SWITCHES]


def states() -> list[tuple[registry.Module, bool]]:
    """Every registered module with whether it is enabled (a module with no row yet is on)."""
    switches = _switches()
    return [(m, switches.get(key, True)) for key, m in sorted(registered().items())]


def is_enabled(key: str) -> bool:
    return _switches().get(key, True)


def set_enabled(key: str, enabled: bool) -> bool:
    """Switch a module; returns whether anything changed."""
    if key not in registered():
        raise UnknownModule(f"no module {key!r}; registered: {', '.join(sorted(registered()))}")
    row = db.session.execute(
        select(ModuleSetting).where(ModuleSetting.module_key == key)
    ).scalar_one_or_none()
    if has_request_context():
        request.environ.pop(_SWITCHES, None)  # read again from now on
    if row is None:
        db.session.add(ModuleSetting(module_key=key, enabled=enabled))
        return True
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    return True
