"""Runs against a provider that takes time: a local OpenAI-wire server (bench/wire.py)
that answers each call after DELAY seconds, the real OpenAI SDK and plugin, idea
generation (one metered call per cluster).

Two layouts, each started fresh: embedded (`make run`: one gunicorn process, its own
runner, SQLite) and `make serve` (gunicorn's asyncio worker x2, 32 app threads each, a Celery worker with its default
settings, PostgreSQL, Redis). For runs of 1, 20, 100 and 1,000 items, five and ten
tenants at once, and 1,000 calls in flight at a 10 s provider, it prints the wall time,
the peak of calls in flight at the provider, items/s, server CPU per item, memory, and
the ratio to the ideal (items x delay / the concurrency the limits allow), and on
PostgreSQL the write-ahead log written per item (bytes written, whatever the run's size).

Then, side by side in one run, synchronous one-item requests at the same concurrency:
igny8 (`make serve` layout, `Prefer: wait`) against LiteLLM's proxy on the same wire
server (installed by this bench into a scratch venv, never a dependency of igny8).

    .venv/bin/python bench/latency.py [--delay 1] [--only embedded|serve|litellm] [--quick]
"""

import argparse
import http.client
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import children, cpu_seconds, database, drop, percentile  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
WEB_PORT, WIRE_PORT, LITELLM_PORT = 5098, 5099, 5100
LITELLM = "litellm[proxy]==1.108.7"
LITELLM_KEY = "sk-igny8-bench-0123456789abcdef0123456789abcdef"
LITELLM_VENV = os.path.join(tempfile.gettempdir(), "igny8-bench-litellm-1.108.7")
PER_RUN, PER_ACCOUNT = 16, 32  # the defaults (RUN_ITEM_CONCURRENCY, ACCOUNT_CONCURRENCY)


def http_json(method, path, body=None, token=None, port=WEB_PORT, timeout=120, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data or b"null")


def memory_mb(pid: int) -> float:
    """Resident memory of a process and its children, MB."""
    total = 0
    for p in [pid, *children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (FileNotFoundError, StopIteration):
            pass
    return total / 1024


def wait_until_up(port, path="/api/v1/health", seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"latency: nothing answered on port {port}")


def make_tenants(env: dict, count: int, clusters: int) -> list[dict]:
    """Accounts on a paid plan with a site and ``clusters`` clusters each; the catalog's
    gpt-4o-mini (the OpenAI plugin, pointed at the wire server) is the text default."""
    script = f"""
import json, os
from igny8 import create_app
from igny8.extensions import db
from igny8.models import AIModelConfig, Cluster, GlobalIntegrationSettings
from igny8.testing import make_tenant
app = create_app()
made = []
with app.app_context():
    settings = GlobalIntegrationSettings.get()
    settings.default_text_model = db.session.execute(
        db.select(AIModelConfig).where(AIModelConfig.model_name == "gpt-4o-mini")).scalar_one()
    db.session.commit()
for _ in range({count}):
    tenant = make_tenant(app, plan="scale", credits=100_000_000)
    with app.app_context():
        rows = [Cluster(account_id=tenant.account_id, site_id=tenant.site_id, name=f"c{{n}}")
                for n in range({clusters})]
        db.session.add_all(rows)
        db.session.commit()
        made.append({{"token": tenant.token, "site": tenant.site_id, "clusters": [c.id for c in rows]}})
print(json.dumps(made))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


class Layout:
    """The app's processes, started in a fresh instance folder on a fresh database."""

    def __init__(self, name, extra_env, celery: bool, admin_url: str, redis_url: str):
        self.name, self.celery, self.admin_url = name, celery, admin_url
        self.folder = tempfile.mkdtemp(prefix=f"igny8-latency-{name}-")
        self.env = {
            **os.environ,
            "IGNY8_INSTANCE_PATH": self.folder,
            "IGNY8_LOAD_PLUGINS": "openai,clustering,ideas",
            "IGNY8_API_RATE_LIMIT": "1000000 per minute",
            "IGNY8_RUN_MAX_WAIT": "600",
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{WIRE_PORT}/v1",
            **extra_env,
        }
        if celery:
            self.env.update(
                IGNY8_DATABASE_URL=database(admin_url),
                IGNY8_CELERY_BROKER_URL=redis_url,
                IGNY8_CELERY_QUEUE=f"igny8-latency-{uuid.uuid4().hex[:6]}",
                IGNY8_RATELIMIT_STORAGE_URI=redis_url,
            )
        self.processes = []

    def start(self, tenants: int, clusters: int) -> list[dict]:
        flask = [f"{BIN}/flask", "--app", os.path.join(ROOT, "wsgi.py")]
        subprocess.run([*flask, "igny8", "init"], env=self.env, check=True, capture_output=True)
        made = make_tenants(self.env, tenants, clusters)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": self.env}
        workers = (  # as `make serve` (deploy/supervisord.conf) and `make run` start it
            ["--worker-class", "asgi", "--workers", "2"]
            if self.celery
            else ["--workers", "1", "--threads", "32"]
        )
        self.processes.append(
            subprocess.Popen(
                [
                    f"{BIN}/gunicorn",
                    *workers,
                    "--bind",
                    f"127.0.0.1:{WEB_PORT}",
                    "--chdir",
                    ROOT,
                    "asgi:app" if self.celery else "wsgi:app",
                ],
                start_new_session=True,
                **quiet,
            )
        )
        if self.celery:
            self.processes.append(
                subprocess.Popen([*flask, "igny8", "worker"], start_new_session=True, **quiet)
            )
        wait_until_up(WEB_PORT)
        time.sleep(2 if self.celery else 0.5)  # the worker connects to the broker
        return made

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)

    def wal(self) -> int | None:
        """PostgreSQL's write-ahead log position, bytes (the whole cluster's: run the bench
        on a quiet server), or None on SQLite."""
        if not self.celery:
            return None
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url)
        with engine.connect() as conn:
            lsn = conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar()
        engine.dispose()
        return int(lsn)

    def memory(self) -> float:
        return sum(memory_mb(p.pid) for p in self.processes)

    def stop(self):
        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.celery:
            drop(self.admin_url)


def run_to_the_end(tenant, items: int, results: list, lock):
    """POST idea generation for ``items`` clusters, wait for the run (Prefer: wait, then
    polling if it takes longer)."""
    body = {"cluster_ids": tenant["clusters"][:items]}
    status, answer = http_json(
        "POST",
        f"/api/v1/sites/{tenant['site']}/clusters/ideas",
        body,
        tenant["token"],
        headers={"Prefer": "wait=600"},
        timeout=700,
    )
    run = (answer or {}).get("run") or (answer or {}).get("error", {}).get("details", {}).get("run")
    while run and run["status"] in ("queued", "running"):
        time.sleep(0.5)
        status, answer = http_json("GET", f"/api/v1/runs/{run['id']}", token=tenant["token"])
        run = answer["run"]
    with lock:
        results.append((status, run))


def warm_up(tenant):
    """A run done in the web process and one done by the worker (past
    RUN_INLINE_MAX_ITEMS), so that neither's first-call set-up is timed."""
    results, lock = [], threading.Lock()
    for items in (1, PER_RUN + 1):
        run_to_the_end(tenant, items, results, lock)


def scenario(layout, label, tenants, items_per_run, delay, allowed_per_run=PER_RUN):
    http_json("POST", "/reset", port=WIRE_PORT)
    results, lock = [], threading.Lock()
    cpu0, wal0 = layout.cpu(), layout.wal()
    started = time.monotonic()
    threads = [
        threading.Thread(target=run_to_the_end, args=(t, items_per_run, results, lock))
        for t in tenants
    ]
    for t in threads:
        t.start()
    peak_memory = 0.0
    while any(t.is_alive() for t in threads):
        peak_memory = max(peak_memory, layout.memory())
        time.sleep(0.2)
    wall = time.monotonic() - started
    cpu = layout.cpu() - cpu0
    wal = layout.wal()
    _, stats = http_json("GET", "/stats", port=WIRE_PORT)
    items = sum(r["items_succeeded"] for _, r in results if r)
    failed = sum(r["items_failed"] for _, r in results if r) + sum(1 for _, r in results if not r)
    allowed = min(items_per_run, allowed_per_run) * len(tenants)
    total = items_per_run * len(tenants)
    written = "" if wal is None else f"  {(wal - wal0) / total / 1024:5.1f} KB WAL/item"
    ideal = total * delay / allowed
    waves = math.ceil(items_per_run / min(items_per_run, allowed_per_run)) * delay
    print(
        f"  {label:<34} {wall:7.2f} s  peak {stats['peak']:5d}  {items / wall:7.1f} items/s  "
        f"{cpu / max(items, 1) * 1000:6.2f} ms CPU/item  {peak_memory:6.0f} MB  "
        f"x{wall / ideal:5.2f} of ideal {ideal:.2f} s (waves {waves:.0f} s)"
        + written
        + (f"  FAILED {failed}" if failed else "")
    )
    return wall


def layouts(args, admin_url, redis_url):
    for name, celery in (("embedded", False), ("serve", True)):
        if args.only and args.only != name:
            continue
        print(
            f"\n{name} layout ({'gunicorn asgi 2x32 + Celery worker, PostgreSQL, Redis' if celery else 'one gunicorn process, embedded runner, SQLite'}), provider delay {args.delay:g} s"
        )
        layout = Layout(name, {}, celery, admin_url, redis_url)
        try:
            sizes = [1, 20, 100] if args.quick else [1, 20, 100, 1000]
            tenants = layout.start(10, max(sizes))
            warm_up(tenants[-1])
            for n in sizes:
                scenario(layout, f"1 run of {n} items", tenants[:1], n, args.delay)
            scenario(layout, "5 tenants x 20 items at once", tenants[:5], 20, args.delay)
            scenario(layout, "10 tenants x 20 items at once", tenants[:10], 20, args.delay)
        finally:
            layout.stop()
        # 1,000 calls in flight at a 10 s provider: one run, its limits raised to match.
        wide = {
            "IGNY8_ITEM_WORKERS": "1100",
            "IGNY8_RUN_ITEM_CONCURRENCY": "1000",
            "IGNY8_ACCOUNT_CONCURRENCY": "1000",
        }
        if args.quick:
            continue
        layout = Layout(name + "-wide", wide, celery, admin_url, redis_url)
        wire = restart_wire(10.0)
        try:
            tenants = layout.start(1, 1000)
            scenario(layout, "1,000 in flight at 10 s", tenants, 1000, 10.0, allowed_per_run=1000)
        finally:
            layout.stop()
            stop(wire)
            restart_wire(args.delay)


WIRE = {}


def restart_wire(delay):
    if "process" in WIRE:
        stop(WIRE["process"])
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "bench", "wire.py"), str(WIRE_PORT), str(delay)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout.readline().strip() == "ready"
    WIRE["process"] = process
    return process


def stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass


# -- side by side with LiteLLM's proxy ------------------------------------------------


def litellm_proxy():
    """LiteLLM's proxy on the wire server, from a scratch venv (installed once)."""
    binary = os.path.join(LITELLM_VENV, "bin", "litellm")
    if not os.path.exists(binary):
        print(f"  installing {LITELLM} into {LITELLM_VENV} (once)")
        subprocess.run([sys.executable, "-m", "venv", LITELLM_VENV], check=True)
        subprocess.run(
            [os.path.join(LITELLM_VENV, "bin", "pip"), "install", "-q", LITELLM], check=True
        )
    config = os.path.join(tempfile.mkdtemp(prefix="igny8-litellm-"), "config.yaml")
    with open(config, "w") as f:
        f.write(
            "model_list:\n  - model_name: gpt-4o-mini\n    litellm_params:\n"
            f"      model: openai/gpt-4o-mini\n      api_base: http://127.0.0.1:{WIRE_PORT}/v1\n"
            "      api_key: sk-bench\n"
        )
    process = subprocess.Popen(
        [binary, "--config", config, "--port", str(LITELLM_PORT), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # The proxy refuses to start without a master key; clients send it as their key.
        env={**os.environ, "LITELLM_LOG": "ERROR", "LITELLM_MASTER_KEY": LITELLM_KEY},
    )
    wait_until_up(LITELLM_PORT, "/health/liveliness", seconds=120)
    return process


def hammer(send, clients: int, seconds: float):
    latencies, codes, lock = [], {}, threading.Lock()
    until = time.monotonic() + seconds

    def loop(n):
        while time.monotonic() < until:
            started = time.perf_counter()
            code = send(n)
            with lock:
                latencies.append(time.perf_counter() - started)
                codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.monotonic() - started), latencies, codes


WARM_SECONDS = 3


def side_by_side(args, admin_url, redis_url):
    print(
        f"\nside by side: {args.clients} clients, one item a request, synchronous, "
        f"{args.seconds:g} s each, provider delay {args.delay:g} s"
    )
    layout = Layout("peer", {}, True, admin_url, redis_url)
    proxy = None
    try:
        tenants = layout.start(args.clients, 1)

        def igny8_call(n):
            t = tenants[n]
            status, _ = http_json(
                "POST",
                f"/api/v1/sites/{t['site']}/clusters/ideas",
                {"cluster_ids": t["clusters"][:1]},
                t["token"],
                headers={"Prefer": "wait=30"},
            )
            return status

        # Both sides are warmed the same way before they are timed: every client's first
        # request (a fresh process builds its provider client and connection pool then).
        hammer(igny8_call, args.clients, WARM_SECONDS)
        cpu0 = layout.cpu()
        rate, latencies, codes = hammer(igny8_call, args.clients, args.seconds)
        cpu = layout.cpu() - cpu0
        print(
            f"  igny8 (make serve, Prefer: wait)  {rate:6.1f} requests/s  p50 "
            f"{percentile(latencies, 50) * 1000:6.0f} ms  {cpu / len(latencies) * 1000:6.1f} ms "
            f"server CPU/request  {dict(codes)}  (every charge written to PostgreSQL)"
        )
        layout.stop()
        layout = None
        proxy = litellm_proxy()

        def litellm_call(n):
            status, _ = http_json(
                "POST",
                "/chat/completions",
                {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"ideas {n}"}]},
                port=LITELLM_PORT,
                headers={"Authorization": f"Bearer {LITELLM_KEY}"},
            )
            return status

        hammer(litellm_call, args.clients, WARM_SECONDS)
        cpu0 = cpu_seconds(proxy.pid)
        rate2, latencies2, codes2 = hammer(litellm_call, args.clients, args.seconds)
        cpu2 = cpu_seconds(proxy.pid) - cpu0
        print(
            f"  LiteLLM proxy {LITELLM.split('==')[1]:<19} {rate2:6.1f} requests/s  p50 "
            f"{percentile(latencies2, 50) * 1000:6.0f} ms  {cpu2 / len(latencies2) * 1000:6.1f} ms "
            f"server CPU/request  {dict(codes2)}  (spend kept in memory)"
        )
        print(f"  igny8 / LiteLLM requests/s: x{rate / rate2:.2f}")
    finally:
        if layout is not None:
            layout.stop()
        if proxy is not None:
            stop(proxy)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--only", choices=["embedded", "serve", "litellm"])
    parser.add_argument("--quick", action="store_true", help="no 1,000-item runs")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    admin_url = os.environ.get(
        "IGNY8_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("IGNY8_BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    restart_wire(args.delay)
    try:
        if args.only in (None, "embedded", "serve"):
            layouts(args, admin_url, redis_url)
        if args.only in (None, "litellm"):
            side_by_side(args, admin_url, redis_url)
    finally:
        stop(WIRE["process"])


if __name__ == "__main__":
    main()
