"""Every hook a plugin can implement. Data flows core -> plugin through these only.

Each hook is documented, with its exact typed signature, in docs/plugins.md and has a
test named ``test_hook_<name without the igny8_ prefix>`` (tests/test_docs.py checks both).
The types named here are all exported by ``igny8.plugin``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from flask import Flask
    from flask.cli import AppGroup
    from flask_admin import Admin
    from flask_sqlalchemy import SQLAlchemy

    from .ai.provider import Provider
    from .ai.usage import Usage
    from .models import CreditUsageLog
    from .registry import DefaultPrompt, HealthCheck, Module, Operation

hookspec = pluggy.HookspecMarker("igny8")


@hookspec
def igny8_register_providers(register: Callable[[Provider], None]) -> None:
    """Call ``register(provider)`` for each AI provider (text and/or image) the plugin brings."""


@hookspec(firstresult=True)
def igny8_report_usage(provider: str, model: str, response: Any) -> Usage | None:
    """Turn the raw response of a provider this plugin registered into a ``Usage`` (None: estimate)."""


@hookspec
def igny8_register_modules(register: Callable[[Module], None]) -> None:
    """Call ``register(Module(...))`` for each switchable content module, with its operations, routes and admin views."""


@hookspec
def igny8_register_operations(register: Callable[[Operation], None]) -> None:
    """Call ``register(Operation(..., module=key))`` for an operation added to a registered module."""


@hookspec
def igny8_default_prompts() -> dict[str, DefaultPrompt | str]:
    """Return ``{prompt_key: DefaultPrompt | str}`` for prompts not declared on an Operation."""


@hookspec
def igny8_register_blueprints(app: Flask) -> None:
    """Register JSON routes that are not a module's (a module declares its own) on ``app``."""


@hookspec
def igny8_register_admin_views(admin: Admin, db: SQLAlchemy) -> None:
    """Add Flask-Admin views that are not a module's (a module declares its own) to ``admin``."""


@hookspec
def igny8_register_health_checks(register: Callable[[HealthCheck], None]) -> None:
    """Call ``register(HealthCheck(name, check))`` for checks shown on System Health and /api/v1/health."""


@hookspec
def igny8_usage_recorded(usage_log: CreditUsageLog) -> None:
    """Called after a metered call's ``CreditUsageLog`` row is committed (exporters, alerts)."""


@hookspec
def igny8_register_commands(cli: AppGroup) -> None:
    """Add the plugin's commands to ``cli``, the `flask igny8` click group."""


@hookspec
def igny8_migrations_dir() -> str | None:
    """Return the folder of the plugin's own Alembic revisions (one branch of its own), or None."""


@hookspec
def igny8_startup(app: Flask) -> None:
    """Called once ``app`` is fully built (config, database, plugins, routes, admin, CLI)."""
