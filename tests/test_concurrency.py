"""Many workers charging one account at once: never below zero, every credit accounted for."""

import threading

import pytest
from metering_support import ScriptedProvider, add_model, scripted_plugin
from sqlalchemy import func, select

from igny8.ai.engine import run_operation
from igny8.billing import audit
from igny8.extensions import db
from igny8.models import Account, CreditUsageLog, GlobalIntegrationSettings

WORKERS, CALLS = 8, 25


@pytest.fixture
def provider(app, plugins):
    scripted = ScriptedProvider()
    plugins.register(scripted_plugin(scripted), "scripted_plugin")
    with app.app_context():
        settings = GlobalIntegrationSettings.get()
        settings.default_text_model = add_model()
        settings.default_max_tokens = 1000  # worst case 2 credits; each call uses 2 (1,500 tokens)
        db.session.commit()
    return scripted


def test_parallel_calls_never_overdraw_and_balance_the_ledger(app, make_tenant, provider):
    start = 151  # covers 75 calls of 2 credits and one of 1: most of the 200 calls are refused
    tenant = make_tenant(credits=start)
    outcomes, errors = [], []

    def worker(n):
        try:
            with app.app_context():
                for i in range(CALLS):
                    outcome = run_operation(tenant.account_id, "echo", [f"{n}-{i}"])
                    outcomes.append(outcome.results[0]["status"])
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert errors == []
    assert len(outcomes) == WORKERS * CALLS
    with app.app_context():
        balance = db.session.get(Account, tenant.account_id).credits
        charged = db.session.execute(select(func.sum(CreditUsageLog.credits_used))).scalar()
        calls = db.session.execute(select(func.count(CreditUsageLog.id))).scalar()
        assert balance >= 0
        assert charged == start - balance
        assert calls == len(provider.calls) == outcomes.count("succeeded")
        assert outcomes.count("succeeded") >= 75  # the balance was used, not lost to races
        assert balance == 0
        assert audit.audit() == []
