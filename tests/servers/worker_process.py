"""A Celery worker process on a test's database, for the worker-kill test: its "echo"
operation makes one metered call per item and notes the item in MARKER_FILE once charged;
on the items named in PAUSE_ON (comma-separated) it then pauses before the item's writes
are committed, and the calls of the items in HANG_ON note "calling <item>" and hang at
the provider, their holds taken (the test kills it there). With START_FILE set, the
process gets ready (imports, app) and starts working only once that file exists: the
test's second worker is warm when the first is killed. SLOW_SECONDS makes every call
take that long and note "span <item> <start> <end>" (time.time()); POOL and CONCURRENCY
choose the Celery pool (default: solo, one run at a time).

    python worker_process.py DATABASE_URL BROKER_URL QUEUE
"""

import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent))  # tests/, for metering_support

from metering_support import ScriptedProvider, scripted_plugin  # noqa: E402

from igny8 import create_app, hookimpl  # noqa: E402
from igny8.celery_engine import run_worker  # noqa: E402
from igny8.registry import Operation  # noqa: E402

PAUSE_ON = set(filter(None, os.environ.get("PAUSE_ON", "").split(",")))
HANG_ON = set(filter(None, os.environ.get("HANG_ON", "").split(",")))
MARKER_FILE = os.environ["MARKER_FILE"]


def note(line):
    with open(MARKER_FILE, "a") as marker:
        marker.write(line + "\n")


def echo(ctx, item):
    text = ctx.text([{"role": "user", "content": f"say {item}"}]).output
    note(f"charged {item}")
    if item in PAUSE_ON:
        time.sleep(60)
    return {"text": text}


SLOW_SECONDS = float(os.environ.get("SLOW_SECONDS") or 0)


class HangingProvider(ScriptedProvider):
    def complete(self, request, credential):
        item = request.messages[-1]["content"].removeprefix("say ")
        if item in HANG_ON:
            note(f"calling {item}")
            time.sleep(60)
        started = time.time()
        if SLOW_SECONDS:
            time.sleep(SLOW_SECONDS)
            note(f"span {item} {started} {time.time()}")
        return super().complete(request, credential)


class PausingEcho:
    @hookimpl(tryfirst=True)
    def igny8_register_operations(self, register):
        register(Operation("echo", module="writer", model_type="text", title="Echo", handler=echo))


def main(database_url, broker_url, queue):
    provider_plugin = scripted_plugin(HangingProvider())
    del provider_plugin.igny8_register_operations  # the pausing "echo" is this process's
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": os.environ["INSTANCE_PATH"],
            "SECRET_KEY": "test-secret",
            "ENCRYPTION_KEY": os.environ["ENCRYPTION_KEY"],
            "CELERY_BROKER_URL": broker_url,
            "CELERY_QUEUE": queue,
            "RUN_STALE_AFTER": float(os.environ.get("RUN_STALE_AFTER") or 1.0),
            "ACCOUNT_CONCURRENCY": int(os.environ.get("ACCOUNT_CONCURRENCY") or 32),
            "ACCOUNT_RUNS": int(os.environ.get("ACCOUNT_RUNS") or 8),
            "CELERY_VISIBILITY_TIMEOUT": 1.0,
            # Messages of a vanished worker are looked for every second, not every 100 s.
            "CELERY_TRANSPORT_OPTIONS": {
                "unacked_restore_interval": 1,
                "unacked_restore_throttle": 1,
            },
            "EXTRA_PLUGINS": [provider_plugin, PausingEcho()],
        }
    )
    start_file = os.environ.get("START_FILE")
    while start_file and not os.path.exists(start_file):
        time.sleep(0.02)
    with app.app_context():
        pool = os.environ.get("POOL") or "solo"
        concurrency = int(os.environ.get("CONCURRENCY") or 1)
        run_worker(app.extensions["igny8_runner"].celery, concurrency, pool, beat=False)


if __name__ == "__main__":
    main(*sys.argv[1:4])
