"""Event streams (a run's, GET /api/v1/runs/{id}/events, and the account's, GET
/api/v1/events) served in the event loop of `make serve`'s asyncio web worker (asgi.py),
holding no thread while they wait.

Through the WSGI app each open stream held one of the web process's threads for as long
as it lasted, so a tenant's open browser tabs used up the threads everyone's requests
need. Here a stream is a coroutine: the checks before it (the API's before-request
checks, the run's owner, the stream caps) and each look at the run are short calls on a
small thread pool of their own; between them the stream waits on an asyncio event that
the run's changes set (igny8.runs.signals: this process's items, or PostgreSQL NOTIFY).
The events sent are the Flask routes' (igny8.api.events), which serve `make run` and tests.
"""

import asyncio
import io
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from a2wsgi.wsgi import build_environ
from flask import Response

from .api.auth import current_account
from .api.events import AccountEvents, RunEvents
from .api.runs import HEARTBEAT_SECONDS, STREAM_HEADERS, open_stream, release_stream
from .extensions import db
from .runs.signals import current_signals

EVENTS_PATH = re.compile(r"/api/v1/(?:runs/(\d+)/)?events/?")


class _LoopEvent:
    """An asyncio.Event that any thread may set (igny8.wakeups sets it from others)."""

    def __init__(self, loop):
        self.loop, self.event = loop, asyncio.Event()

    def set(self):
        self.loop.call_soon_threadsafe(self.event.set)

    def clear(self):
        self.event.clear()


class EventStreams:
    """ASGI: run event streams here, every other request to ``wsgi`` (a2wsgi's app)."""

    def __init__(self, flask_app, wsgi, threads: int = 8):
        self.flask_app, self.wsgi = flask_app, wsgi
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="igny8-streams")

    async def __call__(self, scope, receive, send):
        match = (
            EVENTS_PATH.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "GET"
            else None
        )
        if match is None:
            return await self.wsgi(scope, receive, send)
        run_id = int(match.group(1)) if match.group(1) else None
        loop = asyncio.get_running_loop()
        opened, status, headers, body = await loop.run_in_executor(
            self.executor, self._open, scope, run_id
        )
        if opened is None:  # an error response (401, 404, 429...)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        slots, source, state = opened
        try:
            await self._stream(source, state, loop, receive, send, headers)
        finally:
            await loop.run_in_executor(self.executor, self._in_app, release_stream, slots)

    def _open(self, scope, run_id: int | None):
        """The Flask app's own checks, as for any request: ((the stream's places, its
        source, its first state), 200, its headers, None), or the error response as
        (None, status, headers, body). Either way the headers are the app's (CORS, rate
        limits) as on any answer."""
        app = self.flask_app
        opened = None
        with app.request_context(build_environ(scope, io.BytesIO(b""))):
            try:
                refused = app.preprocess_request()  # rate limits, guard, authentication
                if refused is None:
                    slots = open_stream(run_id)
                    if run_id is None:
                        source = AccountEvents(current_account().id)
                        opened = (slots, source, source.first_state())
                    else:
                        opened = (slots, RunEvents(run_id), None)
                    response = Response(content_type="text/event-stream", headers=STREAM_HEADERS)
                else:
                    response = app.make_response(refused)
            except Exception as exc:  # ApiError and the like: the API's JSON envelope
                response = app.make_response(app.handle_user_exception(exc))
            finally:
                db.session.remove()
            response = app.process_response(response)
            headers = [
                (k.lower().encode("latin1"), v.encode("latin1"))
                for k, v in response.headers.items()
                if k.lower() != "content-length"
            ]
            if opened is not None:
                return opened, 200, headers, None
            return None, response.status_code, headers, response.get_data()

    def _in_app(self, fn, *args):
        with self.flask_app.app_context():
            try:
                return fn(*args)
            finally:
                db.session.remove()

    async def _stream(self, source, state, loop, receive, send, headers):
        config = self.flask_app.config
        signals = current_signals(self.flask_app)
        changed = _LoopEvent(loop)
        gone = asyncio.ensure_future(_disconnected(receive))
        with self.flask_app.app_context():
            poll = source.poll_seconds() if source.watch is None else signals.fallback_seconds()
        watching = (
            signals.watching(source.watch, changed) if source.watch is not None else nullcontext()
        )
        ends = loop.time() + float(config["EVENT_STREAM_MAX_SECONDS"])
        quiet_since = loop.time()
        try:
            with watching:
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                if source.opening:
                    opening = source.opening.encode()
                    await send({"type": "http.response.body", "body": opening, "more_body": True})
                while loop.time() < ends and not gone.done():
                    changed.clear()  # before looking: a change from now on wakes the wait
                    state, chunk, done = await loop.run_in_executor(
                        self.executor, self._in_app, source.look, state
                    )
                    if chunk:
                        quiet_since = loop.time()
                    elif loop.time() - quiet_since >= HEARTBEAT_SECONDS:
                        quiet_since, chunk = loop.time(), ": still running\n\n"
                    if chunk:
                        await send(
                            {
                                "type": "http.response.body",
                                "body": chunk.encode(),
                                "more_body": True,
                            }
                        )
                    if done:
                        break
                    wait = min(
                        HEARTBEAT_SECONDS - (loop.time() - quiet_since), ends - loop.time(), poll
                    )
                    woken = asyncio.ensure_future(changed.event.wait())
                    await asyncio.wait(
                        {woken, gone}, timeout=max(0.0, wait), return_when=asyncio.FIRST_COMPLETED
                    )
                    woken.cancel()
            if not gone.done():
                await send({"type": "http.response.body", "body": b""})
        finally:
            gone.cancel()


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
