"""What an event stream sends, for the two kinds of stream, so that the Flask routes
(`make run`, tests) and `make serve`'s event loop (igny8.asgi_events) send the same:

- a run's stream (GET /runs/{id}/events): ``progress`` when it changes, then ``done``
  with its results; woken by the run's signal;
- the account's stream (GET /events): ``run`` whenever one of its runs is queued or
  changes (its last state once it ends), and ``notification`` for each new notification
  (with its id as the event id: a reconnecting EventSource sends Last-Event-ID and gets
  what it missed). It looks every ACCOUNT_STREAM_POLL_SECONDS.

A source's ``look(state)`` runs in an app context: (the new state, the text to send or
None, whether the stream is over)."""

import json

from flask import current_app, request
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Notification, OperationRun
from ..models.runs import ACTIVE, FINISHED
from .runs import progress_event, run_json, stream_snapshot


class RunEvents:
    opening = None  # its first look always has something to say

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.watch = run_id  # igny8.runs.signals wakes the stream when the run changes

    def first_state(self):
        return None

    def look(self, last):
        state, done = stream_snapshot(self.run_id)
        if state == last:
            return last, None, False
        return state, done or progress_event(state), bool(done)


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID", "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


class AccountEvents:
    # Sent at once: the first look may have nothing to say, and a client (or a proxy)
    # should not wait for the headers until it does.
    opening = ": connected\n\n"

    def __init__(self, account_id: int):
        self.account_id = account_id
        self.watch = None  # no single signal: it looks every poll interval

    def first_state(self):
        """Called in the request: notifications after Last-Event-ID, else only new ones."""
        after = _last_event_id()
        if after is None:
            after = db.session.execute(
                select(func.coalesce(func.max(Notification.id), 0)).where(
                    Notification.account_id == self.account_id
                )
            ).scalar_one()
        return (after, {})

    def look(self, state):
        after, runs = state
        told = db.session.scalars(
            select(Notification)
            .where(Notification.account_id == self.account_id, Notification.id > after)
            .order_by(Notification.id)
            .limit(100)
        ).all()
        watched = db.session.scalars(
            select(OperationRun)
            .where(
                OperationRun.account_id == self.account_id,
                or_(OperationRun.status.in_(ACTIVE), OperationRun.id.in_(list(runs) or [0])),
            )
            .order_by(OperationRun.id)
        ).all()
        chunks, now = [], {}
        for run in watched:
            shown = run_json(run)
            if runs.get(run.id) != shown:
                chunks.append(f"event: run\ndata: {json.dumps({'run': shown})}\n\n")
            if run.status not in FINISHED:
                now[run.id] = shown
        from .notifications import notification_json

        for n in told:
            data = json.dumps({"notification": notification_json(n)})
            chunks.append(f"id: {n.id}\nevent: notification\ndata: {data}\n\n")
        db.session.rollback()  # no transaction stays open while the stream sleeps
        last = told[-1].id if told else after
        return (last, now), "".join(chunks) or None, False

    @staticmethod
    def poll_seconds() -> float:
        return float(current_app.config["ACCOUNT_STREAM_POLL_SECONDS"])
