"""`make serve`'s processes under supervisord (deploy/supervisord.conf): a worker, beat or
web process that dies is started again; Ctrl-C stops them all."""

# ruff: noqa: F811

import os
import signal
import subprocess
import time

import pytest
from fault_support import (
    BIN,
    ROOT,
    app_environment,
    free_port,
    redis_server,  # noqa: F401  (a fixture)
    wait_until_healthy,
)

CONFIG = str(ROOT / "deploy" / "supervisord.conf")


def ctl(env, *args) -> str:
    return subprocess.run(
        [str(BIN / "supervisorctl"), "-c", CONFIG, *args],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()


def running_pid(env, program, other_than=None, seconds=60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = ctl(env, "status", program)
        if "RUNNING" in status:
            pid = int(status.split("pid ")[1].split(",")[0])
            if pid != other_than:
                return pid
        time.sleep(0.2)
    raise AssertionError(f"{program} is not running again: {status}")


def test_supervisord_restarts_what_dies_and_stops_everything_on_ctrl_c(
    shared, redis_server, tmp_path
):
    if shared.database.url.startswith("sqlite"):
        pytest.skip("make serve runs on PostgreSQL (docs/deploy.md)")
    port = free_port()
    env = app_environment(
        shared,
        tmp_path,
        IGNY8_CELERY_BROKER_URL=redis_server.url,
        IGNY8_CELERY_QUEUE=f"igny8-supervised-{port}",
        IGNY8_SERVE_STATE=str(tmp_path),
        IGNY8_BIN=str(BIN),
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_WORKERS="1",
        IGNY8_WEB_THREADS="4",
        RUN_CONCURRENCY="2",
    )
    log = open(tmp_path / "supervisord.log", "w")
    supervisor = subprocess.Popen(
        [str(BIN / "supervisord"), "--nodaemon", "--configuration", CONFIG],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        pids = {p: running_pid(env, p) for p in ("web", "worker", "beat")}
        wait_until_healthy(port, tmp_path / "supervisord.log")  # the web answers
        for program, pid in pids.items():  # each dies (SIGKILL) and is started again
            os.kill(pid, signal.SIGKILL)
            pids[program] = running_pid(env, program, other_than=pid)
        children = [int(p) for p in ctl(env, "pid", "all").split()]
        assert sorted(children) == sorted(pids.values())
        supervisor.send_signal(signal.SIGINT)  # Ctrl-C
        assert supervisor.wait(90) == 0
        for pid in children:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
