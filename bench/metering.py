"""Metering overhead per call and metered calls per second, on SQLite and PostgreSQL.

    make bench                    # or: .venv/bin/python bench/metering.py [--calls N] [--repeats N]

Each repetition runs one operation over N items with the offline provider, so every item
is one metered call: hold (committed), provider call, usage hook, pricing, settlement
(ledger rows and usage row, committed). The provider's own time is measured around each
call and subtracted: "overhead" is everything igny8 adds. PostgreSQL runs when
IGNY8_BENCH_DATABASE_URL (or IGNY8_TEST_DATABASE_URL) is set, or the local default
answers; it works in a schema of its own and drops it afterwards. Figures are printed,
not asserted.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid

import flask_migrate
from sqlalchemy import create_engine, make_url, text

from igny8 import accounts, create_app, hookimpl, seed
from igny8.ai.engine import run_operation
from igny8.crypto import generate_key
from igny8.extensions import db
from igny8.models import GlobalIntegrationSettings
from igny8.plugins import current_plugins
from igny8.registry import Operation

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MESSAGES = [{"role": "user", "content": "Write one sentence about metering."}]


class Bench:
    """A throw-away operation whose handler makes one metered text call per item."""

    @hookimpl
    def igny8_register_operations(self, register):
        register(
            Operation(
                "bench",
                module="writer",
                model_type="text",
                title="Bench",
                handler=lambda ctx, item: {"n": len(ctx.text(MESSAGES, max_tokens=64).output)},
            )
        )


class ProviderClock:
    """Wraps a provider's complete() and adds up the time spent inside it."""

    def __init__(self, provider):
        self.provider, self.seconds = provider, 0.0
        self.original = provider.complete

    def __enter__(self):
        def timed(request, credential):
            started = time.perf_counter()
            try:
                return self.original(request, credential)
            finally:
                self.seconds += time.perf_counter() - started

        self.provider.complete = timed
        return self

    def __exit__(self, *exc):
        self.provider.complete = self.original


def build_app(url: str, folder: str):
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": folder,
            "SECRET_KEY": "bench",
            "ENCRYPTION_KEY": generate_key(),
            "EXTRA_PLUGINS": [Bench()],
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=app.config["MIGRATIONS_DIR"])
        seed.seed_catalog()
        settings = GlobalIntegrationSettings.get()
        from igny8.models import AIModelConfig

        settings.default_text_model = db.session.execute(
            db.select(AIModelConfig).where(AIModelConfig.model_name == "offline-text")
        ).scalar_one()
        account = accounts.create_account("Bench", accounts.find_plan("scale"), 10_000_000)
        db.session.commit()
        return app, account.id


def measure(app, account_id: int, calls: int, repeats: int) -> dict:
    provider = current_plugins(app).pm and None
    with app.app_context():
        from igny8 import registry

        provider = registry.providers(current_plugins().pm)["offline"]
        run_operation(account_id, "bench", list(range(20)))  # warm caches and pools
        overheads, rates = [], []
        for _ in range(repeats):
            with ProviderClock(provider) as clock:
                started = time.perf_counter()
                outcome = run_operation(account_id, "bench", list(range(calls)))
                elapsed = time.perf_counter() - started
            assert outcome.run.status == "succeeded", outcome.run.error
            overheads.append((elapsed - clock.seconds) / calls * 1000)
            rates.append(calls / elapsed)
            provider_ms = clock.seconds / calls * 1000
    return {
        "overhead_ms": statistics.median(overheads),
        "overhead_min": min(overheads),
        "overhead_max": max(overheads),
        "calls_per_s": statistics.median(rates),
        "provider_ms": provider_ms,
    }


def sqlite_run(calls, repeats):
    with tempfile.TemporaryDirectory() as folder:
        app, account_id = build_app(f"sqlite:///{folder}/bench.db", folder)
        result = measure(app, account_id, calls, repeats)
        with app.app_context():
            db.engine.dispose()
        return result


def postgres_run(calls, repeats, url):
    schema = f"igny8_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - reported, then skipped
        print(
            f"PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr
        )
        return None
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        with tempfile.TemporaryDirectory() as folder:
            app, account_id = build_app(scoped.render_as_string(hide_password=False), folder)
            result = measure(app, account_id, calls, repeats)
            with app.app_context():
                db.engine.dispose()
            return result
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="metered calls per repetition")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    url = (
        os.environ.get("IGNY8_BENCH_DATABASE_URL")
        or os.environ.get("IGNY8_TEST_DATABASE_URL")
        or DEFAULT_PG
    )
    rows = [
        ("SQLite", sqlite_run(args.calls, args.repeats)),
        ("PostgreSQL", postgres_run(args.calls, args.repeats, url)),
    ]
    print(
        f"\nmetering, offline provider: {args.repeats} repetitions of {args.calls} calls, median "
        f"(min-max)"
    )
    print(f"{'database':<12}{'overhead/call':>22}{'calls/s':>10}{'provider/call':>16}")
    for name, r in rows:
        if r is None:
            print(f"{name:<12}{'skipped':>22}")
            continue
        spread = f"{r['overhead_ms']:.3f} ms ({r['overhead_min']:.3f}-{r['overhead_max']:.3f})"
        print(f"{name:<12}{spread:>22}{r['calls_per_s']:>10.0f}{r['provider_ms']:>13.3f} ms")


if __name__ == "__main__":
    main()
