"""Module switches: which registered content modules are on."""

from sqlalchemy import select

from . import registry
from .extensions import db
from .models import ModuleSetting
from .plugins import current_plugins


class UnknownModule(LookupError):
    pass


def registered() -> dict[str, registry.Module]:
    return registry.modules(current_plugins().pm)


def states() -> list[tuple[registry.Module, bool]]:
    """Every registered module with whether it is enabled (a module with no row yet is on)."""
    switches = dict(
        db.session.execute(select(ModuleSetting.module_key, ModuleSetting.enabled)).all()
    )
    return [(m, switches.get(key, True)) for key, m in sorted(registered().items())]


def is_enabled(key: str) -> bool:
    row = db.session.execute(
        select(ModuleSetting.enabled).where(ModuleSetting.module_key == key)
    ).scalar_one_or_none()
    return True if row is None else row


def set_enabled(key: str, enabled: bool) -> bool:
    """Switch a module; returns whether anything changed."""
    if key not in registered():
        raise UnknownModule(f"no module {key!r}; registered: {', '.join(sorted(registered()))}")
    row = db.session.execute(
        select(ModuleSetting).where(ModuleSetting.module_key == key)
    ).scalar_one_or_none()
    if row is None:
        db.session.add(ModuleSetting(module_key=key, enabled=enabled))
        return True
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    return True
