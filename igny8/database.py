"""Database set-up per app: SQLite pragmas (WAL, foreign keys, busy timeout); whether a
session's transaction has written anything yet; a commit that keeps what is loaded;
whether an error means the database went away."""

import select
import time
from contextlib import contextmanager

from sqlalchemy import String, event, inspect
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
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


# A pooled connection that lay idle this long is pinged before it is used again.
PING_IDLE_SECONDS = 10.0
_RETURNED = "igny8_returned_at"


def _has_spoken(dbapi_connection) -> bool:
    """Whether the server sent anything to an idle connection: a pooled connection is
    sent nothing while idle except its end (a terminated backend's FATAL message, the
    socket closed by a restart or a crash). No round trip: a look at the socket."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return True  # cannot tell: ping
    poller = select.poll()  # not select(): a busy worker's descriptors pass 1,024
    poller.register(fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def ping_when_needed(engine) -> None:
    """Ping a connection taken from the pool only when the server spoke to it while it
    was idle (its end, see _has_spoken) or it lay idle PING_IDLE_SECONDS: a connection
    the server dropped (a restart, a crash, pg_terminate_backend) is replaced before the
    request uses it, as pool_pre_ping would, while connections in steady use (a busy
    worker's, many times a second) cost no extra round trip."""

    @event.listens_for(engine.pool, "checkin")
    def _returned(_dbapi_connection, record):
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        returned = record.info.get(_RETURNED)
        if returned is None:
            return  # just opened
        idle = time.monotonic() - returned
        if idle < PING_IDLE_SECONDS and not _has_spoken(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError() from exc  # the pool opens a fresh one
            raise
        if not alive:
            raise DisconnectionError()


def init_app(app) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                ping_when_needed(engine)


def clip(text: str, length: int) -> str:
    """``text`` cut to ``length`` characters, an ellipsis marking the cut."""
    return text if len(text) <= length else text[: length - 1] + "…"


def fit_pending_strings(session) -> int:
    """Cut every text a pending write holds (new and changed rows) to its column's
    length, so that a handler's write after a paid call cannot fail on PostgreSQL (which,
    unlike SQLite, enforces VARCHAR lengths). For what an AI item derives (titles, reasons,
    keywords from model output); request input is refused with 422 before that. How
    many values were cut."""
    cut = 0
    for row in [*session.new, *session.dirty]:
        mapper = inspect(row).mapper
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            length = getattr(column.type, "length", None)
            if not isinstance(column.type, String) or not length:
                continue
            value = getattr(row, attr.key)
            if isinstance(value, str) and len(value) > length:
                setattr(row, attr.key, clip(value, length))
                cut += 1
    return cut


_FIT = "igny8_fit_strings"


@event.listens_for(Session, "before_flush")
def _fit_before_flush(session, _flush_context, _instances):
    if session.info.get(_FIT):
        fit_pending_strings(session)


@contextmanager
def fitting_strings(session):
    """While the block runs, every flush of ``session`` first fits its texts to their
    columns (fit_pending_strings): an AI item's writes, which follow a paid call."""
    session.info[_FIT] = True
    try:
        yield
    finally:
        session.info.pop(_FIT, None)
