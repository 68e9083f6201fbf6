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
import tempfile
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


class PostgresServer:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory, its own
    port), that a test can stop as a crash does and start again. As root, its files and
    processes belong to the postgres user (PostgreSQL refuses to run as root)."""

    def __init__(self):
        found = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            pytest.fail(
                "PostgreSQL's server binaries are not installed (apt-get install postgresql)"
            )
        self.bin = found[-1].parent
        # Not under pytest's tmp_path: its parents are private to root.
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="igny8-postgres-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.directory, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def _run(self, tool, *args):
        done = subprocess.run(
            [*self.as_owner, str(self.bin / tool), *args], capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self) -> "PostgresServer":
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        # -l: the server's output goes to a file (on our pipe, run() would wait for it to end).
        log = str(self.directory / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        return self

    def crash(self) -> None:
        """Stop at once, as a power cut or SIGKILL of the server does (no shutdown)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture
def postgres_server():
    server = PostgresServer().start()
    yield server
    try:
        server.crash()
    except RuntimeError:
        pass  # already stopped
    shutil.rmtree(server.directory, ignore_errors=True)


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
def asgi_web(shared, tmp_path, threads: int, **env):
    """One gunicorn asyncio worker serving asgi.py with ``threads`` app threads (and the
    environment ``env`` besides); its port."""
    port, log = free_port(), tmp_path / "web.log"
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy/gunicorn.conf.py")]
        + ["--worker-class", "asgi", "--workers", "1"]
        + ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "asgi:app"],
        env=app_environment(shared, tmp_path, IGNY8_WEB_THREADS=str(threads), **env),
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
