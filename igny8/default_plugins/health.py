"""The core's own health checks, shipped as a default plugin."""

import time

from flask import current_app
from sqlalchemy import text

from ..extensions import db
from ..plugins import hookimpl
from ..registry import HealthCheck, HealthResult


def database() -> HealthResult:
    started = time.perf_counter()
    db.session.execute(text("SELECT 1"))
    elapsed_ms = (time.perf_counter() - started) * 1000
    return HealthResult(True, f"{db.engine.dialect.name} reachable in {elapsed_ms:.1f} ms")


def migrations() -> HealthResult:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(current_app.config["MIGRATIONS_DIR"]).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return HealthResult(True, f"at head {', '.join(sorted(heads))}")
    return HealthResult(
        False,
        f"database at {', '.join(sorted(current)) or 'nothing'}, code at {', '.join(sorted(heads))}:"
        " run `flask db upgrade`",
    )


def encryption_key() -> HealthResult:
    from ..crypto import fernet

    fernet()  # raises a clear EncryptionKeyError when missing or malformed
    return HealthResult(True, "set")


def plugins() -> HealthResult:
    from ..plugins import current_plugins

    loaded = current_plugins().listing(include_all=True)
    names = ", ".join(f"{p['name']} {p['version'] or ''}".strip() for p in loaded)
    return HealthResult(True, f"{len(loaded)} loaded: {names}")


@hookimpl
def igny8_register_health_checks(register):
    register(HealthCheck("database", database))
    register(HealthCheck("migrations", migrations))
    register(HealthCheck("encryption_key", encryption_key))
    register(HealthCheck("plugins", plugins))
