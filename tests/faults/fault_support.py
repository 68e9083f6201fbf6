"""Dependencies a fault test can break: a Redis server of the test's own, on a port of
its own, that it can kill and start again; and the app served as `make serve` serves it
(gunicorn's asyncio worker, asgi.py), on this test's database."""

import http.client
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from conftest import ENCRYPTION_KEY

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def redis_server():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer().start()
    yield server
    server.kill()


def app_environment(shared, tmp_path, **extra) -> dict:
    """The environment of an app process on this test's database and secrets."""
    return {
        **os.environ,
        "IGNY8_DATABASE_URL": shared.database.url,
        "IGNY8_INSTANCE_PATH": str(tmp_path),
        "IGNY8_SECRET_KEY": "test-secret",
        "IGNY8_ENCRYPTION_KEY": ENCRYPTION_KEY,
        **extra,
    }


def get(port, path, timeout=5.0, headers=None):
    """GET on 127.0.0.1:port; (status, seconds it took)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers=headers or {})
    status = conn.getresponse().status
    conn.close()
    return status, time.monotonic() - started


def wait_until_healthy(port, log, seconds=60) -> None:
    """Until /api/v1/health answers 200 (the process's log in the failure)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if get(port, "/api/v1/health", timeout=30)[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, pathlib.Path(log).read_text()
        time.sleep(0.2)


@contextmanager
def asgi_web(shared, tmp_path, threads: int):
    """One gunicorn asyncio worker serving asgi.py with ``threads`` app threads; its port."""
    port, log = free_port(), tmp_path / "web.log"
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy/gunicorn.conf.py")]
        + ["--worker-class", "asgi", "--workers", "1"]
        + ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "asgi:app"],
        env=app_environment(shared, tmp_path, IGNY8_WEB_THREADS=str(threads)),
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),
        start_new_session=True,
    )
    try:
        wait_until_healthy(port, log)
        yield port
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)
