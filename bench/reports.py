"""Reports, monitoring, search and export at a million usage rows, on SQLite and PostgreSQL.

    make bench                    # or: .venv/bin/python bench/reports.py [--rows N]

Loads N synthetic usage rows (default 1,000,000: 20 accounts, the seeded models, every
operation, 90 days, 3% failed) into a fresh database (SQLite in a temporary folder; a
throw-away schema on PostgreSQL when it answers), analyses it (as autovacuum would after
a bulk load), signs in as an admin and times what an admin opens: both reports (30 days,
365 days, one account), API Monitor, Home, a search by
request id, and the whole-list CSV and JSON exports (time to first byte, total time, and
the peak memory Python allocated while streaming). Figures are printed, not asserted.

Which model a call used (``--spread``): "cascade" (the default) as the model cascade
picks it, each account's operation on one model of its kind, 5% of calls on a second one
(overrides, fallbacks); "uniform" any seeded model for any operation, the worst case for
the daily rollup (about 2.7 times the rollup rows per day, 17 models in every account's
every operation).
"""

import argparse
import os
import random
import re
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import create_engine, insert, make_url, select, text

from igny8 import accounts, create_app, seed
from igny8.billing import rollup
from igny8.crypto import generate_key
from igny8.extensions import db
from igny8.models import AIModelConfig, CreditUsageLog
from igny8.timeutil import utcnow

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
OPERATIONS = (
    "clustering",
    "idea_generation",
    "content_generation",
    "image_prompt_extraction",
    "image_generation",
    "optimization",
    "linking",
)
PASSWORD = "bench-password-1"
BATCH = 20_000


def build(url: str, folder: str, rows: int, spread: str = "cascade"):
    import flask_migrate

    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": folder,
            "SECRET_KEY": "bench",
            "SESSION_COOKIE_SECURE": False,  # signed in over plain http
            "ENCRYPTION_KEY": generate_key(),
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=app.config["MIGRATIONS_DIR"])
        seed.seed_catalog()
        plan = accounts.find_plan("scale")
        tenants = [accounts.create_account(f"Bench {n:02d}", plan, 100_000).id for n in range(20)]
        accounts.create_user("bench-admin@igny8.test", PASSWORD, is_superuser=True)
        models = db.session.execute(
            select(AIModelConfig.id, AIModelConfig.provider, AIModelConfig.model_type)
        ).all()
        db.session.commit()
        load(tenants, models, rows, spread)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        request_id = db.session.execute(
            select(CreditUsageLog.request_id).order_by(CreditUsageLog.id.desc()).limit(1)
        ).scalar()
    return app, tenants, request_id


def model_choice(rng, tenants, models, spread: str):
    """A function (account, operation) -> (model id, provider) for the calls of the load."""
    if spread == "uniform":
        return lambda account, operation: rng.choice(models)[:2]
    kinds = {kind: [m[:2] for m in models if m[2] == kind] for kind in {m[2] for m in models}}
    picked = {}
    for account in tenants:
        for operation in OPERATIONS:
            choices = kinds["image" if operation == "image_generation" else "text"]
            picked[account, operation] = rng.sample(choices, 2) if len(choices) > 1 else choices * 2

    def choose(account, operation):
        primary, second = picked[account, operation]
        return second if rng.random() < 0.05 else primary

    return choose


def load(tenants, models, rows, spread="cascade"):
    rng = random.Random(1)
    now = utcnow()
    choose = model_choice(rng, tenants, models, spread)
    started = time.perf_counter()
    for first in range(0, rows, BATCH):
        batch = []
        for n in range(first, min(rows, first + BATCH)):
            account, operation = rng.choice(tenants), rng.choice(OPERATIONS)
            model_id, provider = choose(account, operation)
            failed = rng.random() < 0.03
            inp, out = rng.randint(100, 4000), rng.randint(50, 3000)
            cost = Decimal(rng.randint(1, 200_000)) / Decimal(100_000_000)
            batch.append(
                {
                    "account_id": account,
                    "operation": operation,
                    "provider": provider,
                    "model_config_id": model_id,
                    "request_id": f"bench{n:012d}",
                    "input_tokens": inp,
                    "output_tokens": out,
                    "credits_used": 0 if failed else rng.randint(1, 6),
                    "cost_usd_input": cost,
                    "cost_usd_total": cost,
                    "latency_ms": rng.randint(80, 9000),
                    "status": "failed" if failed else "success",
                    "error_code": "unavailable" if failed else None,
                    "created_at": now - timedelta(seconds=rng.randint(0, 90 * 86400)),
                }
            )
        db.session.execute(insert(CreditUsageLog), batch)
        db.session.commit()
    print(f"  loaded {rows:,} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    # Bulk-loaded past the meter: the daily rollup is built once, as after a migration.
    started = time.perf_counter()
    count = rollup.rebuild(db.session)
    db.session.commit()
    print(
        f"  rolled up into {count:,} daily rows in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


def sign_in(client):
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/admin/login",
        data={"email": "bench-admin@igny8.test", "password": PASSWORD, "csrf_token": token},
    )


def timed(client, url) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def streamed(client, url) -> tuple[float, float, float]:
    """(ms to the first byte, ms in all, MiB Python allocated at most) for a download:
    timed in one pass, its memory traced in another (tracing slows Python down)."""

    def download(traced: bool):
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        response = client.get(url, buffered=False)
        chunks = iter(response.response)
        size = len(next(chunks))
        first = (time.perf_counter() - started) * 1000
        size += sum(len(c) for c in chunks)
        total = (time.perf_counter() - started) * 1000
        peak = tracemalloc.get_traced_memory()[1] / 1024**2 if traced else 0.0
        if traced:
            tracemalloc.stop()
        response.close()
        assert size > 0
        return first, total, peak

    first, total, _ = download(traced=False)
    return first, total, download(traced=True)[2]


def measure(app, tenants, request_id) -> dict:
    client = app.test_client()
    sign_in(client)
    figures = {}
    pages = {
        "Token Usage, 30 days": "/admin/reports/token-usage/?days=30",
        "Cost Analysis, 30 days": "/admin/reports/ai-cost-analysis/?days=30",
        "Cost Analysis, 365 days": "/admin/reports/ai-cost-analysis/?start={year_ago}",
        "Cost Analysis, one account": f"/admin/reports/ai-cost-analysis/?days=90&account={tenants[0]}",
        "API Monitor": "/admin/monitoring/api/",
        "Home": "/admin/",
        "search by request id": f"/admin/creditusagelog/?search={request_id}",
    }
    year_ago = (utcnow() - timedelta(days=364)).date().isoformat()
    for name, url in pages.items():
        url = url.format(year_ago=year_ago)
        timed(client, url)  # warm
        figures[name] = min(timed(client, url) for _ in range(3))
    for kind in ("csv", "json"):
        figures[f"export {kind}"] = streamed(client, f"/admin/creditusagelog/export/{kind}/")
    return figures


def run(url: str, rows: int, spread: str):
    with tempfile.TemporaryDirectory() as folder:
        app, tenants, request_id = build(url, folder, rows, spread)
        try:
            return measure(app, tenants, request_id)
        finally:
            with app.app_context():
                db.engine.dispose()


def postgres(url: str, rows: int, spread: str):
    schema = f"igny8_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - reported, then skipped
        print(f"PostgreSQL skipped: {type(exc).__name__}", file=sys.stderr)
        return None
    scoped = make_url(url).update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": schema}
    )
    try:
        return run(scoped.render_as_string(hide_password=False), rows, spread)
    finally:
        with admin.begin() as conn:
            # A connection the measured app left open must not keep the schema locked
            # (only the bench's own, named after its schema: never anyone else's).
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": schema},
            )
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--spread", choices=("cascade", "uniform"), default="cascade")
    args = parser.parse_args(argv)
    url = os.environ.get("IGNY8_BENCH_DATABASE_URL") or os.environ.get(
        "IGNY8_TEST_DATABASE_URL", DEFAULT_PG
    )
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "sqlite"):
            print("SQLite:", file=sys.stderr)
            results["SQLite"] = run(f"sqlite:///{folder}/bench.db", args.rows, args.spread)
            report(results, args.rows, args.spread)
    if args.only in (None, "postgresql"):
        print("PostgreSQL:", file=sys.stderr)
        results["PostgreSQL"] = postgres(url, args.rows, args.spread)
        report(results, args.rows, args.spread)


def report(results: dict, rows: int, spread: str) -> None:
    print(
        f"\nreports at {rows:,} usage rows, models spread {spread} "
        "(best of 3, ms; exports: first byte / all / peak MiB)"
    )
    names = next(r for r in results.values() if r)
    print(f"{'':<28}" + "".join(f"{db_name:>24}" for db_name in results))
    for name in names:
        cells = []
        for result in results.values():
            value = result and result[name]
            if value is None:
                cells.append(f"{'skipped':>24}")
            elif isinstance(value, tuple):
                cells.append(f"{value[0]:>7.0f} /{value[1]:>7.0f} /{value[2]:>5.0f}")
            else:
                cells.append(f"{value:>24.0f}")
        print(f"{name:<28}" + "".join(f"{c:>24}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
