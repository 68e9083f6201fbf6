"""Slow and idle clients against `make serve`'s web process (gunicorn's asyncio worker,
asgi.py): connections that never finish their headers, or send nothing, hold no thread,
so everyone else is still served. Bounded in time; 127.0.0.1 only."""

import http.client
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

from conftest import ENCRYPTION_KEY
from fault_support import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent


def get(port, path, timeout=5.0):
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path)
    status = conn.getresponse().status
    conn.close()
    return status, time.monotonic() - started


def test_slow_and_idle_connections_do_not_starve_the_web_process(shared, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "IGNY8_DATABASE_URL": shared.database.url,
        "IGNY8_INSTANCE_PATH": str(tmp_path),
        "IGNY8_SECRET_KEY": "test-secret",
        "IGNY8_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "IGNY8_WEB_THREADS": "4",  # far fewer than the slow connections below
    }
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "--worker-class", "asgi", "--workers", "1"]
        + ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "asgi:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "web.log", "w"),
        start_new_session=True,
    )
    stop = threading.Event()
    sockets = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert get(port, "/api/v1/health", timeout=30)[0] == 200
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
                time.sleep(0.2)

        def trickle():  # headers, a line every second, never finished
            s = socket.create_connection(("127.0.0.1", port))
            sockets.append(s)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(1.0):
                try:
                    s.sendall(b"X-Slow: yes\r\n")
                except OSError:
                    return

        for _ in range(24):
            threading.Thread(target=trickle, daemon=True).start()
        for _ in range(24):  # connected, silent
            sockets.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(6)  # past the threaded worker's 5 s wait for a silent client
        for _ in range(5):
            status, took = get(port, "/api/v1/health")
            assert status == 200 and took < 2.0, took
    finally:
        stop.set()
        for s in sockets:
            s.close()
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)
