"""Waking whoever waits for a run to change (``Prefer: wait``, the event stream, the CLI)
instead of having them poll its row.

In this process a change sets the waiters' events at once. Across processes, on
PostgreSQL, each change is also announced with NOTIFY on the channel ``igny8_runs``
(in the same transaction as the change, so a waiter never wakes before it can read it)
and a listener thread per process, started by the first waiter, passes it on. Without
PostgreSQL (SQLite: one machine, usually one process), waiters also look again every
FALLBACK_SECONDS, so a run executed by another process is still seen to end.
"""

import logging
import threading
import time
from contextlib import contextmanager

from sqlalchemy import text

from ..wakeups import Wakeups

log = logging.getLogger(__name__)

CHANNEL = "igny8_runs"
# A notification's payload: the run's id, and this word after it when the run ended.
ENDED = "end"
# How often a waiter looks at the run anyway: often without a listener, rarely with one
# (a notification lost while the listener reconnected).
FALLBACK_SECONDS = 1.0
LISTENING_FALLBACK_SECONDS = 10.0
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :payload)")


class RunSignals:
    def __init__(self, app):
        self.app = app
        self._lock = threading.Lock()
        self._wakeups = Wakeups()
        self._listener: threading.Thread | None = None
        self.listening = False

    def changed(self, run_id: int, ended: bool = False) -> None:
        """Wake this process's waiters of the run (those waiting for its end only when
        ``ended``)."""
        self._wakeups.wake(run_id)
        if ended:
            self._wakeups.wake((run_id, ENDED))

    @contextmanager
    def watching(self, run_id: int, event=None, ends_only: bool = False):
        """An event (``event``: anything with ``set()``, else a new threading.Event) set
        whenever the run changes, or (``ends_only``) when it ends, while the block runs.
        A request waiting for the run's end is not woken by each of its items."""
        self._listen()
        with self._wakeups.watching((run_id, ENDED) if ends_only else run_id, event) as event:
            yield event

    def fallback_seconds(self) -> float:
        """How long a waiter may sleep without a wake-up before it looks anyway."""
        return LISTENING_FALLBACK_SECONDS if self.listening else FALLBACK_SECONDS

    def wait(self, event: threading.Event, seconds: float) -> None:
        """Sleep until the run changes or ``seconds`` pass (no CPU meanwhile)."""
        event.wait(max(0.0, min(seconds, self.fallback_seconds())))
        event.clear()

    # -- across processes (PostgreSQL) ---------------------------------------------

    def _listen(self) -> None:
        if self._listener is not None:
            return
        with self._lock:
            if self._listener is not None:
                return
            with self.app.app_context():
                from ..extensions import db

                url = db.engine.url
            if url.get_backend_name() != "postgresql":
                self._listener = False  # nothing to listen to
                return
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._listener = threading.Thread(
                target=self._listen_forever, args=(dsn,), name="igny8-run-signals", daemon=True
            )
            self._listener.start()

    def _listen_forever(self, dsn: str) -> None:
        import psycopg

        delay = 0.5
        while True:
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening, delay = True, 0.5
                    for notice in conn.notifies():
                        run, _, ended = notice.payload.partition(" ")
                        try:
                            self.changed(int(run), ended=ended == ENDED)
                        except ValueError:
                            continue
            except Exception as exc:  # the database went away: waiters fall back to looking
                if self.listening:
                    log.warning("run signals: lost the database (%s); reconnecting", exc)
                self.listening = False
                time.sleep(delay)
                delay = min(delay * 2, 10.0)


def announce(session, run_id: int, ended: bool = False) -> None:
    """Tell other processes' waiters the run changed (or ended), when the session's
    transaction commits (PostgreSQL); this process's are woken by ``changed`` after the
    commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_NOTIFY, {"payload": f"{run_id} {ENDED}" if ended else str(run_id)})


def init_app(app) -> None:
    app.extensions["igny8_signals"] = RunSignals(app)


def current_signals(app=None) -> RunSignals:
    from flask import current_app

    return (app or current_app).extensions["igny8_signals"]
