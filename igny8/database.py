"""Database set-up per app: SQLite pragmas (WAL, foreign keys, busy timeout); whether a
session's transaction has written anything yet; a commit that keeps what is loaded;
whether an error means the database went away."""

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from .extensions import db

_WROTE = "igny8_wrote"


@event.listens_for(Session, "after_flush")
def _wrote(session, _flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def holds_writes(session) -> bool:
    """Whether the session's open transaction has flushed a write (so ending it is a commit
    of real work, not just of reads)."""
    return bool(session.info.get(_WROTE))


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the database went away (a restart, a failover, a killed
    backend, a refused connection) rather than that a statement was wrong: worth
    trying again on a fresh connection."""
    return isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError))
    )


def commit_keeping_loaded() -> None:
    """Commit the session without expiring what it has loaded. For a commit whose objects
    are known to be current (the transaction only read, or wrote exactly these objects),
    so that reading them afterwards costs no query."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = before


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
