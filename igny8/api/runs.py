"""Operation runs over the API: the one way an AI endpoint runs an operation and answers.

Module plugins call ``execute(operation, items, site_id=...)`` from their routes: the run
is queued and executed in the background (igny8.runner); the answer is ``{"run": {...},
"results": [...]}``, 202 while it runs (``Prefer: wait=N`` waits for it), and
GET /runs/{id}, its event stream and POST /runs/{id}/cancel follow it.
"""

import json
import threading
import time
from contextlib import nullcontext

from flask import Response, current_app, g, jsonify, request, stream_with_context, url_for

from ..ai.engine import cancel, submit
from ..ai.provider import ERROR_CODES as PROVIDER_ERRORS
from ..extensions import db
from ..limits import current_limits
from ..models import OperationRun
from ..models.runs import FINISHED, read_run, run_results
from ..runner import QueueUnavailable, current_runner, wait_for
from ..runs.signals import current_signals
from . import serialize
from .auth import current_account, current_user
from .errors import ApiError
from .pagination import paginate
from .schemas import RunsQuery
from .scoping import get_owned, owned, owned_ids
from .shapes import RunBodyOut, RunOut, page_of, sse_content
from .validation import documented

IDEMPOTENCY_HEADER = "Idempotency-Key"


def run_json(run: OperationRun) -> dict:
    return {
        "id": run.id,
        "operation": run.operation,
        "status": run.status,
        "items": run.items,
        "items_succeeded": run.items_succeeded,
        "items_failed": run.items_failed,
        "items_done": run.items_succeeded + run.items_failed,
        "cancel_requested": run.cancel_requested,
        "credits_used": run.credits_used,
        "cost_usd": serialize.money(run.cost_usd),
        "model": run.model_name,
        "resolved_by": run.resolved_by,
        "site_id": run.site_id,
        "error": run.error,
        "created_at": serialize.timestamp(run.created_at),
        "started_at": serialize.timestamp(run.started_at),
        "finished_at": serialize.timestamp(run.finished_at),
    }


def run_body(run: OperationRun) -> dict:
    """What every answer about a run carries: the run, and its results so far."""
    return {"run": run_json(run), "results": run_results(run.id)}


# Seconds a client is told to wait before retrying a submit the broker could not take.
QUEUE_RETRY_AFTER = 5


def prefer_wait() -> float:
    """Seconds the client will wait for its run: ``Prefer: wait=N`` (RFC 7240, capped at
    RUN_MAX_WAIT), else RUN_DEFAULT_WAIT. A malformed preference is ignored, as RFC 7240 says."""
    config = current_app.config
    wait = float(config["RUN_DEFAULT_WAIT"])
    for preference in request.headers.get("Prefer", "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                wait = float(value.strip().strip('"'))
            except ValueError:
                continue
    return max(0.0, min(wait, float(config["RUN_MAX_WAIT"])))


def execute(operation: str, items: list, *, site_id: int | None = None):
    """Queue ``operation`` for ``items`` as the caller's account and answer: 202 with the
    queued run and its Location, or 200 with its results when it finished within the wait
    the client asked for. An Idempotency-Key seen before gives the same run, as it is now."""
    key = request.headers.get(IDEMPOTENCY_HEADER)  # checked and claimed by api.idempotency
    outcome = submit(
        current_account().id,
        operation,
        items,
        site_id=site_id,
        idempotency_key=key.strip() if key else None,
        request={"operation": operation, "site_id": site_id, "items": items},
        api_token_id=g.token_id,
        user_id=current_user().id,
    )
    run = outcome.run
    g.answered_by_run = run.id  # a retry with the key gets this run as it is (api.idempotency)
    wait = prefer_wait()
    if not outcome.replayed:
        # A small run the client waits for is done where the client waits (RUN_INLINE_MAX_ITEMS).
        here = wait > 0 and len(items) <= int(current_app.config["RUN_INLINE_MAX_ITEMS"])
        try:
            current_runner().start(run.id, account_id=run.account_id, here=here)
        except QueueUnavailable:
            # Nothing is held for a queued run: forget it, so that a retry starts afresh.
            db.session.delete(run)
            db.session.commit()
            raise ApiError(
                503,
                "Runs cannot be queued right now; try again shortly",
                code="queue_unavailable",
                headers={"Retry-After": str(QUEUE_RETRY_AFTER)},
            ) from None
    if run.status not in FINISHED and wait > 0:
        run = wait_for(run.id, wait)
    response = run_response(run)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if wait > 0:
        response.headers["Preference-Applied"] = f"wait={wait:g}"
    return response


# How the request that waited for a run answers when the run ended with every item
# failed: by the gravest cause among its items, first match wins (docs/api.md). The run
# itself is in details either way; GET /runs/{id} reads it with 200 like any other run.
# A detail names the items' codes ({codes}) or the first failed item's message ({first}).
FAILED_RUN_ANSWERS = (
    # (the items' codes it applies to, HTTP status, problem code, detail)
    ({"internal_error"}, 500, "internal_error", "The run failed on an internal error"),
    (set(PROVIDER_ERRORS), 502, "provider_error", "Every item failed at the AI provider: {codes}"),
    ({"publish_failed"}, 502, "publish_failed", "{first}"),
    (
        {"insufficient_credits"},
        402,
        "insufficient_credits",
        "Not enough credits for this operation",
    ),
    ({"prompt_error"}, 422, "prompt_error", "{first}"),
    # The rest are the items' own refusals (not found, already done, nothing to do).
    (None, 409, "run_failed", "{first}"),
)


def failed_run_row(codes: set[str]) -> tuple:
    """The FAILED_RUN_ANSWERS row for items that failed with ``codes`` (none: the run as
    a whole failed, e.g. its worker was lost, which is ours, not the request's)."""
    codes = codes or {"internal_error"}
    return next(row for row in FAILED_RUN_ANSWERS if codes & (row[0] or codes))


def failed_run_answer(run: OperationRun, failed: list[dict]) -> ApiError:
    """The error for a run whose items all failed (``failed``: their results)."""
    codes = {r["error"]["code"] for r in failed}
    applies, status, code, detail = failed_run_row(codes)
    mine = [
        r["error"]["message"] for r in failed if applies is None or r["error"]["code"] in applies
    ]
    first = next(iter(mine), None) or run.error or "the run failed"
    return ApiError(
        status,
        detail.format(codes=", ".join(sorted(codes & (applies or codes))), first=first),
        code=code,
        details=run_body(run),
    )


def run_response(run: OperationRun):
    """A finished run: 200 with its results, or an error (its body in details) when every
    item failed; an unfinished one: 202, with Location."""
    body = run_body(run)
    if run.status not in FINISHED:
        response = jsonify(body)
        response.status_code = 202
        response.headers["Location"] = url_for("api.get_run", run_id=run.id)
        return response
    if run.status != "failed":
        return jsonify(body)
    raise failed_run_answer(run, [r for r in body["results"] if r["status"] == "failed"])


def execute_on(operation: str, model, ids, site_id: int):
    """``execute`` for ids of the caller's ``model`` rows on that site (404 naming any other)."""
    return execute(operation, owned_ids(model, ids, site_id), site_id=site_id)


def register(bp):
    @bp.get("/runs")
    @documented(
        "The account's runs, newest first; filter by status, operation or site",
        tags=["runs"],
        query=RunsQuery,
        response=page_of(RunOut),
    )
    def list_runs(args):
        query = owned(OperationRun).order_by(OperationRun.id.desc())
        for name in ("operation", "status", "site_id"):
            if name in args:
                query = query.where(getattr(OperationRun, name) == args[name])
        return jsonify(paginate(query, run_json))

    @bp.get("/runs/<int:run_id>")
    @documented("A run, with its results so far", tags=["runs"], response=RunBodyOut)
    def get_run(run_id):
        return jsonify(run_body(get_owned(OperationRun, run_id)))

    @bp.post("/runs/<int:run_id>/cancel")
    @documented(
        "Cancel a run: no new items start; those in flight settle",
        tags=["runs"],
        status=202,
        response=RunBodyOut,
    )
    def cancel_run(run_id):
        run = get_owned(OperationRun, run_id)
        if not cancel(run):
            raise ApiError(
                409, f"run {run_id} has already finished ({run.status})", code="conflict"
            )
        db.session.refresh(run)
        return jsonify(run_body(run)), 202

    @bp.get("/runs/<int:run_id>/events")
    @documented(
        "Server-Sent Events of a run: progress as it changes, then done with its results",
        tags=["runs"],
        media=sse_content(progress="RunEventOut", done="RunBodyOut"),
    )
    def run_events(run_id):
        from .events import RunEvents

        slots = open_stream(run_id)
        return _streamed(RunEvents(run_id), None, slots)

    @bp.get("/events")
    @documented(
        "Server-Sent Events of the account: each run as it is queued, changes and ends "
        "(run), each new notification (notification; Last-Event-ID resumes)",
        tags=["runs"],
        media=sse_content(run="RunEventOut", notification="NotificationEventOut"),
    )
    def account_events():
        from .events import AccountEvents

        slots = open_stream()
        source = AccountEvents(current_account().id)
        return _streamed(source, source.first_state(), slots)


HEARTBEAT_SECONDS = 15.0
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def open_stream(run_id: int | None = None) -> list:
    """Before a run's event stream (or, without ``run_id``, the account's): 404 for
    anyone else's run; a place among the
    account's and the token's open streams (counted across processes, igny8.limits), or
    429, since each stream holds a connection for as long as it lasts. The places taken
    are given back with ``release_stream`` when it ends. (The Flask route below and make
    serve's event-loop streams, igny8.asgi_events, both start here.)"""
    if run_id is not None:
        get_owned(OperationRun, run_id)
    config, limits = current_app.config, current_limits()
    lease = float(config["EVENT_STREAM_MAX_SECONDS"]) + 60  # a crashed process's expire
    slots = []
    for key, limit, whose in (
        (f"streams:account:{current_account().id}", config["EVENT_STREAMS_PER_ACCOUNT"], "account"),
        (f"streams:token:{g.token_id}", config["EVENT_STREAMS_PER_TOKEN"], "API token"),
    ):
        slot = limits.try_slot(key, int(limit), lease)
        if slot is None:
            release_stream(slots)
            raise ApiError(
                429,
                f"Too many open event streams for this {whose} (at most {limit}); "
                "close one, or poll GET /runs/{id}",
                code="rate_limited",
                headers={"Retry-After": "5"},
            )
        slots.append(slot)
    return slots


def release_stream(slots) -> None:
    for slot in slots:
        current_limits().release(slot)


def stream_snapshot(run_id: int) -> tuple[dict, str | None]:
    """The run as a stream shows it now, and the event to send if it has finished."""
    run = read_run(run_id)  # what the worker committed since
    if run.status in FINISHED:
        return run_json(run), f"event: done\ndata: {json.dumps(run_body(run))}\n\n"
    return run_json(run), None


def progress_event(state: dict) -> str:
    return f"event: progress\ndata: {json.dumps({'run': state})}\n\n"


def _streamed(source, state, slots) -> Response:
    return Response(
        stream_with_context(_released_after(event_stream(source, state), slots)),
        content_type="text/event-stream",
        headers=STREAM_HEADERS,
    )


def _released_after(stream, slots):
    """``stream``, giving its slots back when it ends or the client goes away."""
    try:
        yield from stream
    finally:
        release_stream(slots)


def event_stream(source, state):
    """Server-Sent Events from ``source`` (igny8.api.events): what it has to say each time
    it is woken (the run's signal) or its poll interval passes. Between looks the stream
    sleeps, holding no transaction; comments keep an idle connection open through proxies."""
    signals = current_signals()
    quiet_since = time.monotonic()
    ends = time.monotonic() + float(current_app.config["EVENT_STREAM_MAX_SECONDS"])
    poll = source.poll_seconds() if source.watch is None else HEARTBEAT_SECONDS
    watching = signals.watching(source.watch) if source.watch is not None else nullcontext()
    with watching as changed:
        changed = changed or threading.Event()  # never set: the poll interval wakes it
        if source.opening:
            yield source.opening
        while time.monotonic() < ends:  # then the client reconnects (EventSource does)
            state, chunk, done = source.look(state)
            if chunk:
                quiet_since = time.monotonic()
                yield chunk
                if done:
                    return
            elif time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
                quiet_since = time.monotonic()
                yield ": still running\n\n"
            db.session.rollback()  # no transaction stays open while the stream sleeps
            now = time.monotonic()
            signals.wait(changed, min(HEARTBEAT_SECONDS - (now - quiet_since), ends - now, poll))


__all__ = ["execute", "register", "run_json"]
