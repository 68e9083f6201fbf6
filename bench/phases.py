"""Where a metered call's time goes: each phase timed on SQLite (and PostgreSQL when
IGNY8_BENCH_DATABASE_URL or IGNY8_TEST_DATABASE_URL is set), per call, offline provider.

    .venv/bin/python bench/phases.py [--calls N]
"""

import argparse
import collections
import os
import sys
import tempfile
import time
import uuid

from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, os.path.dirname(__file__))
import metering  # noqa: E402  (the benchmark's app set-up)

from igny8.ai import meter as M  # noqa: E402
from igny8.ai.engine import run_operation  # noqa: E402
from igny8.billing import writer as W  # noqa: E402


def timed(totals, owner, name, label):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - started

    setattr(owner, name, wrapper)
    return lambda: setattr(owner, name, original)


def phases(url, folder, calls):
    app, account_id = metering.build_app(url, folder)
    totals = collections.defaultdict(float)
    undo = [
        timed(totals, W.TransactionalWriter, "hold", "hold (committed)"),
        timed(totals, W.TransactionalWriter, "settle", "settle + usage row (committed)"),
        timed(totals, W.PostgresWriter, "hold", "hold (committed)"),
        timed(totals, W.PostgresWriter, "settle", "settle + usage row (committed)"),
        timed(totals, M, "call_with_retries", "provider call"),
        timed(totals, M.Meter, "_usage_of", "usage hook"),
        timed(totals, M, "price", "pricing"),
        timed(totals, M.Meter, "_usage_row", "building the usage row"),
    ]
    try:
        with app.app_context():
            run_operation(account_id, "bench", list(range(20)))
            totals.clear()
            started = time.perf_counter()
            run_operation(account_id, "bench", list(range(calls)))
            total = time.perf_counter() - started
    finally:
        for restore in undo:
            restore()
    return totals, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    targets = [("SQLite", None)]
    pg = os.environ.get("IGNY8_BENCH_DATABASE_URL") or os.environ.get("IGNY8_TEST_DATABASE_URL")
    if pg:
        targets.append(("PostgreSQL", pg))
    for name, url in targets:
        with tempfile.TemporaryDirectory() as folder:
            schema = None
            if url is None:
                url = f"sqlite:///{folder}/phases.db"
            else:
                schema = f"igny8_phases_{uuid.uuid4().hex[:8]}"
                admin = create_engine(url)
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                url = (
                    make_url(url)
                    .update_query_dict({"options": f"-csearch_path={schema}"})
                    .render_as_string(hide_password=False)
                )
            try:
                totals, total = phases(url, folder, args.calls)
            finally:
                if schema:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        print(f"\n{name}: per call, {args.calls} calls")
        for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
            print(f"  {label:<32}{seconds / args.calls * 1000:8.3f} ms")
        print(f"  {'whole call':<32}{total / args.calls * 1000:8.3f} ms")


if __name__ == "__main__":
    main()
