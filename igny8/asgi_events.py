"""Run event streams (GET /api/v1/runs/{id}/events) served in the event loop of
`make serve`'s asyncio web worker (asgi.py), holding no thread while they wait.

Through the WSGI app each open stream held one of the web process's threads for as long
as it lasted, so a tenant's open browser tabs used up the threads everyone's requests
need. Here a stream is a coroutine: the checks before it (the API's before-request
checks, the run's owner, the stream caps) and each look at the run are short calls on a
small thread pool of their own; between them the stream waits on an asyncio event that
the run's changes set (igny8.runs.signals: this process's items, or PostgreSQL NOTIFY).
The events sent are the Flask route's (igny8.api.runs), which serves `make run` and tests.
"""

import asyncio
import io
import re
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ
from flask import Response

from .api.runs import (
    HEARTBEAT_SECONDS,
    STREAM_HEADERS,
    open_stream,
    progress_event,
    release_stream,
    stream_snapshot,
)
from .extensions import db
from .runs.signals import current_signals

EVENTS_PATH = re.compile(r"/api/v1/runs/(\d+)/events/?")


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
        run_id = int(match.group(1))
        loop = asyncio.get_running_loop()
        slots, status, headers, body = await loop.run_in_executor(
            self.executor, self._open, scope, run_id
        )
        if slots is None:  # an error response (401, 404, 429...)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            await self._stream(run_id, loop, receive, send, headers)
        finally:
            await loop.run_in_executor(self.executor, self._in_app, release_stream, slots)

    def _open(self, scope, run_id: int):
        """The Flask app's own checks, as for any request: (the stream's places, 200, its
        headers, None), or the error response as (None, status, headers, body). Either
        way the headers are the app's (CORS, rate limits) as on any answer."""
        app = self.flask_app
        slots = None
        with app.request_context(build_environ(scope, io.BytesIO(b""))):
            try:
                refused = app.preprocess_request()  # rate limits, guard, authentication
                if refused is None:
                    slots = open_stream(run_id)
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
            if slots is not None:
                return slots, 200, headers, None
            return None, response.status_code, headers, response.get_data()

    def _in_app(self, fn, *args):
        with self.flask_app.app_context():
            try:
                return fn(*args)
            finally:
                db.session.remove()

    async def _stream(self, run_id, loop, receive, send, headers):
        config = self.flask_app.config
        signals = current_signals(self.flask_app)
        changed = _LoopEvent(loop)
        gone = asyncio.ensure_future(_disconnected(receive))
        ends = loop.time() + float(config["EVENT_STREAM_MAX_SECONDS"])
        last, quiet_since = None, loop.time()
        try:
            with signals.watching(run_id, changed):
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                while loop.time() < ends and not gone.done():
                    changed.clear()  # before looking: a change from now on wakes the wait
                    state, done = await loop.run_in_executor(
                        self.executor, self._in_app, stream_snapshot, run_id
                    )
                    chunk = None
                    if state != last:
                        last, quiet_since = state, loop.time()
                        chunk = done or progress_event(state)
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
                        HEARTBEAT_SECONDS - (loop.time() - quiet_since),
                        ends - loop.time(),
                        signals.fallback_seconds(),
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
