"""Load on the `make serve` layout: gunicorn and a Celery worker on PostgreSQL and Redis,
the offline provider. CLIENTS threads, spread over ACCOUNTS accounts, POST idea
generation (ITEMS clusters per request, one metered call each) without waiting, for
SECONDS; then every run is waited for, and the ledger audited.

Prints requests/s, items/s end to end, runs/s, p50/p99 of the 202 acceptance, CPU per
metered item in the worker and per request in the web processes, and the audit.

    .venv/bin/python bench/load.py [--clients 16] [--accounts 8] [--seconds 10] [--items 10]
    IGNY8_BENCH_DATABASE_URL  (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres:
                               a database igny8_bench_load is made there, and dropped)
    IGNY8_BENCH_REDIS_URL     (default redis://127.0.0.1:6379/4)
"""

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from sqlalchemy import create_engine, make_url, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
PORT = 5097
TICKS = os.sysconf("SC_CLK_TCK")


def database(admin_url: str) -> str:
    name = "igny8_bench_load"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop(admin_url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS igny8_bench_load WITH (FORCE)"))
    admin.dispose()


def tenants(env: dict, accounts: int, clusters: int) -> list[dict]:
    """Accounts with a token, a site and ``clusters`` clusters each (made in-process)."""
    os.environ.update(env)
    from igny8 import create_app
    from igny8.extensions import db
    from igny8.models import Cluster
    from igny8.testing import make_tenant

    app = create_app()
    made = []
    for _ in range(accounts):
        tenant = make_tenant(app, plan="scale", credits=10_000_000)
        with app.app_context():
            rows = [
                Cluster(account_id=tenant.account_id, site_id=tenant.site_id, name=f"c{n}")
                for n in range(clusters)
            ]
            db.session.add_all(rows)
            db.session.commit()
            made.append(
                {"token": tenant.token, "site": tenant.site_id, "clusters": [c.id for c in rows]}
            )
    with app.app_context():
        db.engine.dispose()
    return made


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still alive."""
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
        except FileNotFoundError:
            pass
    return total


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except FileNotFoundError:
        return []
    return kids + [g for k in kids for g in children(k)]


def client(tenant, items, until, latencies, counts, lock):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    body = json.dumps({"cluster_ids": tenant["clusters"][:items]})
    headers = {"Authorization": f"Bearer {tenant['token']}", "Content-Type": "application/json"}
    path = f"/api/v1/sites/{tenant['site']}/clusters/ideas"
    while time.monotonic() < until:
        started = time.perf_counter()
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            counts[response.status] = counts.get(response.status, 0) + 1


def percentile(values, q):
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main():
    # Stopped from outside (timeout, Ctrl-C): still stop the servers and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--accounts", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--run-concurrency", type=int, default=2)
    args = parser.parse_args()

    admin_url = os.environ.get(
        "IGNY8_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("IGNY8_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    url = database(admin_url)
    folder = tempfile.mkdtemp(prefix="igny8-load-")
    env = {
        "IGNY8_DATABASE_URL": url,
        "IGNY8_INSTANCE_PATH": folder,
        "IGNY8_CELERY_BROKER_URL": redis_url,
        "IGNY8_CELERY_QUEUE": f"igny8-load-{uuid.uuid4().hex[:6]}",
        "IGNY8_RATELIMIT_STORAGE_URI": redis_url,
        "IGNY8_API_RATE_LIMIT": "1000000 per minute",
        "IGNY8_LOAD_PLUGINS": "offline,clustering,ideas",
    }
    full_env = {**os.environ, **env}
    flask = [f"{BIN}/flask", "--app", os.path.join(ROOT, "wsgi.py")]
    subprocess.run(
        [*flask, "igny8", "init", "--demo"], env=full_env, check=True, stdout=subprocess.DEVNULL
    )
    made = tenants(env, args.accounts, args.items)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": full_env}
    web = subprocess.Popen(
        [
            f"{BIN}/gunicorn",
            "--worker-class",
            "asgi",  # as `make serve` starts it (asgi.py)
            "--workers",
            str(args.web_workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--chdir",
            ROOT,
            "asgi:app",
        ],
        start_new_session=True,
        **quiet,
    )
    worker = subprocess.Popen(
        [*flask, "igny8", "worker", "--concurrency", str(args.run_concurrency)],
        start_new_session=True,
        **quiet,
    )
    try:
        wait_for_health()
        time.sleep(2)  # the worker connects to the broker
        engine = create_engine(url)
        web_cpu0, worker_cpu0 = cpu_seconds(web.pid), cpu_seconds(worker.pid)
        latencies, counts, lock = [], {}, threading.Lock()
        started = time.monotonic()
        until = started + args.seconds
        threads = [
            threading.Thread(
                target=client,
                args=(made[n % len(made)], args.items, until, latencies, counts, lock),
            )
            for n in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        submitted = time.monotonic() - started
        web_cpu = cpu_seconds(web.pid) - web_cpu0
        with engine.connect() as conn:
            while conn.execute(
                text("SELECT count(*) FROM operation_runs WHERE status IN ('queued', 'running')")
            ).scalar():
                conn.rollback()
                time.sleep(0.1)
            elapsed = time.monotonic() - started
            runs, items, failed = conn.execute(
                text(
                    "SELECT count(*), coalesce(sum(items_succeeded), 0),"
                    " coalesce(sum(items_failed), 0) FROM operation_runs"
                    " WHERE operation = 'idea_generation'"
                )
            ).one()
            below_zero = conn.execute(
                text("SELECT count(*) FROM accounts WHERE credits < 0")
            ).scalar()
        worker_cpu = cpu_seconds(worker.pid) - worker_cpu0
        engine.dispose()
        audit = subprocess.run(
            [*flask, "igny8", "audit-ledger"], env=full_env, capture_output=True, text=True
        )
        requests = len(latencies)
        print(
            f"load: {args.clients} clients, {args.accounts} accounts, {args.items} items a "
            f"request, {args.seconds:g} s; gunicorn {args.web_workers}x8 threads, "
            f"worker concurrency {args.run_concurrency}, PostgreSQL + Redis"
        )
        rows = [
            (
                "requests/s (202 accepted)",
                f"{requests / submitted:.1f}",
                f"{counts.get(202, 0)} of {requests} answered 202: {dict(sorted(counts.items()))}",
            ),
            (
                "acceptance p50 / p99",
                f"{percentile(latencies, 50) * 1000:.1f} / "
                f"{percentile(latencies, 99) * 1000:.1f} ms",
                "target p99 <= 50 ms",
            ),
            (
                "runs/s (to the last finished)",
                f"{runs / elapsed:.1f}",
                f"{runs} runs in {elapsed:.1f} s ({elapsed - submitted:.1f} s after submitting)",
            ),
            (
                "metered items/s end to end",
                f"{items / elapsed:.1f}",
                f"{items} succeeded, {failed} failed; target >= 200",
            ),
            (
                "worker CPU per metered item",
                f"{worker_cpu / max(items, 1) * 1000:.2f} ms",
                "target <= 8 ms",
            ),
            ("web CPU per request", f"{web_cpu / max(requests, 1) * 1000:.2f} ms", ""),
            ("accounts below zero", f"{below_zero}", "0 overshoot"),
            (
                "audit-ledger",
                "exit 0" if audit.returncode == 0 else f"exit {audit.returncode}",
                audit.stdout.strip().splitlines()[-1]
                if audit.stdout.strip()
                else audit.stderr[-200:],
            ),
        ]
        width = max(len(r[0]) for r in rows)
        for name, value, note in rows:
            print(f"  {name:<{width}}  {value:>18}  {note}")
        profile(made[0], args.items)
    finally:
        for process in (web, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        drop(admin_url)


def profile(tenant, items, rounds=4):
    """Where a worker's CPU goes per metered item: the same runs executed in this process
    under cProfile, own time summed by package, and the SQL statements per item."""
    import collections
    import cProfile
    import pstats

    from sqlalchemy import event

    from igny8 import create_app
    from igny8.ai.engine import run_operation
    from igny8.extensions import db
    from igny8.models import Site

    app = create_app()
    with app.app_context():
        account_id = db.session.get(Site, tenant["site"]).account_id
        work = tenant["clusters"][:items]
        run_operation(account_id, "idea_generation", work, site_id=tenant["site"])  # warm
        statements = []

        def count(*_):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        started = time.process_time()
        for _ in range(rounds):
            run_operation(account_id, "idea_generation", work, site_id=tenant["site"])
        cpu = (time.process_time() - started) / (rounds * items)
        event.remove(db.engine, "before_cursor_execute", count)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            run_operation(account_id, "idea_generation", work, site_id=tenant["site"])
        profiler.disable()
        db.engine.dispose()
    groups = collections.Counter()
    for (path, _line, _fn), (_cc, _nc, own, _cum, _callers) in pstats.Stats(profiler).stats.items():
        if "site-packages/" in path:
            key = path.split("site-packages/")[1].split("/")[0]
        elif ROOT in path:
            key = os.path.relpath(path, ROOT)
        else:
            key = "python stdlib and builtins"
        groups[key] += own
    profiled = sum(groups.values())
    print(
        f"profile: one worker process, {rounds * items} items of idea generation: "
        f"{cpu * 1000:.2f} ms CPU an item unprofiled, "
        f"{len(statements) / (rounds * items):.1f} SQL statements an item"
    )
    for key, own in groups.most_common(8):
        print(f"  {own / profiled:6.1%}  {key}")


def wait_for_health():
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status in (200, 503):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("load: the app did not start")


if __name__ == "__main__":
    main()
