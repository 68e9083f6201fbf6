"""Time helpers. Timestamps are stored as naive UTC on every database so that
SQLite and PostgreSQL compare and group them the same way."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
