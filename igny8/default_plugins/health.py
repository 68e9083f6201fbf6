"""The core's own health checks, shipped as a default plugin."""

import os
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

    # Every branch: the core's and each plugin's (igny8.schema).
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
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


def provider_credentials() -> HealthResult:
    """Which providers can be called; never the keys themselves."""
    from ..ai.credentials import is_configured
    from ..plugins import current_plugins
    from ..registry import providers

    found = providers(current_plugins().pm)
    ready = sorted(name for name, p in found.items() if is_configured(p))
    missing = sorted(set(found) - set(ready))
    detail = f"configured: {', '.join(ready) or 'none'}"
    if missing:
        detail += f"; no key: {', '.join(missing)}"
    return HealthResult(bool(ready), detail)


def disk() -> HealthResult:
    """Free space where the database (SQLite) and the media files live."""
    import shutil

    folders = {"media": current_app.config["MEDIA_DIR"]}
    if db.engine.dialect.name == "sqlite" and db.engine.url.database:
        folders["database"] = os.path.dirname(os.path.abspath(db.engine.url.database))
    parts, ok = [], True
    for name, folder in folders.items():
        while not os.path.exists(folder):
            folder = os.path.dirname(folder)
        free = shutil.disk_usage(folder).free
        ok = ok and free > 500 * 1024 * 1024
        parts.append(f"{name}: {free / 1024**3:.1f} GiB free")
    return HealthResult(ok, "; ".join(parts))


def module_switches() -> HealthResult:
    from .. import modules

    states = modules.states()
    off = [m.key for m, enabled in states if not enabled]
    return HealthResult(
        True,
        f"{len(states) - len(off)} of {len(states)} on"
        + (f"; off: {', '.join(off)}" if off else ""),
    )


# Provider error rates over the last hour: amber and red above these, given enough calls.
ERROR_RATE_AMBER, ERROR_RATE_RED, ERROR_RATE_MIN_CALLS = 0.10, 0.50, 5


def provider_errors() -> HealthResult:
    """Each provider's failed share of calls in the last hour, and the attempts its calls
    took (amber when they need retries too often: reports.retrying)."""
    from datetime import timedelta

    from .. import reports
    from ..timeutil import utcnow

    rows = reports.provider_calls(utcnow() - timedelta(hours=1))
    if not rows:
        return HealthResult(True, "no calls in the last hour")
    detail = "; ".join(
        f"{p['provider']}: {p['error_rate']:.0%} of {p['calls']} call(s) failed"
        + (f", {p['attempts_per_call']:.1f} attempts a call" if p["attempts"] > p["calls"] else "")
        for p in rows
    )
    judged = [p for p in rows if p["calls"] >= ERROR_RATE_MIN_CALLS]
    red = [p["provider"] for p in judged if p["error_rate"] >= ERROR_RATE_RED]
    amber = [p for p in judged if p["error_rate"] >= ERROR_RATE_AMBER or reports.retrying(p)]
    if red:
        return HealthResult(False, f"failing: {', '.join(red)} — {detail}")
    return HealthResult(True, detail, warn=bool(amber))


def stale_holds() -> HealthResult:
    """Credits held by calls that never settled (a killed process)."""
    from datetime import timedelta

    from ..billing.audit import open_holds

    holds = open_holds(timedelta(minutes=30))
    if not holds:
        return HealthResult(True, "no hold older than 30 minutes")
    credits = sum(-h.amount for h in holds)
    return HealthResult(
        True,
        f"{len(holds)} hold(s) of {credits} credit(s) older than 30 minutes: run "
        "`flask igny8 release-stale-holds --older-than 30`",
        warn=True,
    )


def broker() -> HealthResult:
    """The Celery broker (Redis), when there is one. Down, the API keeps answering: reads,
    and runs whose request waits for them (executed by the web process), work; other
    submits get 503 queue_unavailable; rate and provider limits count per process."""
    url = current_app.config["CELERY_BROKER_URL"]
    if not url:
        return HealthResult(True, "none: runs execute in the web process (embedded runner)")
    import redis

    started = time.perf_counter()
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        return HealthResult(
            True,
            f"broker unreachable ({type(exc).__name__}): runs nobody waits for cannot be "
            "queued (503 queue_unavailable); limits count in each process",
            warn=True,
        )
    finally:
        client.close()
    return HealthResult(True, f"redis reachable in {(time.perf_counter() - started) * 1000:.1f} ms")


@hookimpl
def igny8_register_health_checks(register):
    register(HealthCheck("database", database))
    register(HealthCheck("broker", broker))
    register(HealthCheck("migrations", migrations))
    register(HealthCheck("encryption_key", encryption_key))
    register(HealthCheck("plugins", plugins))
    register(HealthCheck("provider_credentials", provider_credentials))
    register(HealthCheck("disk", disk))
    register(HealthCheck("module_switches", module_switches))
    register(HealthCheck("provider_errors", provider_errors))
    register(HealthCheck("stale_holds", stale_holds))
