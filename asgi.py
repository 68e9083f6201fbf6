"""ASGI entry point for `make serve`: `gunicorn -k asgi asgi:app`.

gunicorn's asyncio worker reads every request in its event loop, so a client that is slow
to send its headers, or opens connections and sends nothing, costs a socket and no
thread (with the threaded worker, 24 such connections held every thread and /health
timed out). The Flask app runs on WEB_THREADS threads of each worker (a2wsgi), as many
requests at once as gunicorn's threads were; run event streams are served in the event
loop itself and hold none of them (igny8.asgi_events). docs/deploy.md.
"""

from a2wsgi import WSGIMiddleware

from igny8 import create_app
from igny8.asgi_events import EventStreams

flask_app = create_app()
app = EventStreams(
    flask_app, WSGIMiddleware(flask_app, workers=int(flask_app.config["WEB_THREADS"]))
)
