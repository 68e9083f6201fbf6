"""A settlement the database refuses part of never strands its hold: a usage row that
cannot be stored is replaced by a plain one, then left out, and the money is written
either way; counts past 32 bits are stored; the ledger balances after each (audit-ledger).

The refusals are real database errors: a trigger on the usage table (SQLite and
PostgreSQL alike) refuses the rows the test chooses."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import create_tenant
from metering_support import ScriptedProvider, add_model, ledger_rows, scripted_plugin
from sqlalchemy import select, text

from igny8.ai.engine import run_operation
from igny8.ai.provider import ProviderError
from igny8.ai.usage import Usage
from igny8.billing import audit
from igny8.billing.plausibility import Plausible, doubt
from igny8.billing.pricing import PriceCard, price
from igny8.extensions import db
from igny8.models import (
    Account,
    AlertLog,
    CreditUsageLog,
    GlobalIntegrationSettings,
)

# What each trigger lets through (a SQL condition on NEW).
PLAIN_ONLY = "NEW.error_code = 'settlement_error'"
NOTHING = "1 = 0"


@pytest.fixture
def refuse_usage_rows(app):
    """refuse(allowed): from now on the database refuses every usage row but those
    ``allowed`` lets through."""
    installed = []

    def drop():
        with app.app_context(), db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP TRIGGER IF EXISTS igny8_test_refuse ON credit_usage_logs"))
                conn.execute(text("DROP FUNCTION IF EXISTS igny8_test_refuse()"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS igny8_test_refuse"))

    def refuse(allowed: str):
        drop()  # one a test stopped before its teardown left behind
        with app.app_context(), db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text(
                        "CREATE FUNCTION igny8_test_refuse() RETURNS trigger AS $$ BEGIN "
                        f"IF NOT COALESCE({allowed}, false) THEN "
                        "RAISE EXCEPTION 'forced settlement failure'; END IF; "
                        "RETURN NEW; END $$ LANGUAGE plpgsql"
                    )
                )
                conn.execute(
                    text(
                        "CREATE TRIGGER igny8_test_refuse BEFORE INSERT ON credit_usage_logs "
                        "FOR EACH ROW EXECUTE FUNCTION igny8_test_refuse()"
                    )
                )
            else:
                conn.execute(
                    text(
                        "CREATE TRIGGER igny8_test_refuse BEFORE INSERT ON credit_usage_logs "
                        f"WHEN NOT COALESCE({allowed}, 0) "
                        "BEGIN SELECT RAISE(ABORT, 'forced settlement failure'); END"
                    )
                )
        installed.append(True)

    yield refuse
    if installed:
        drop()


def balanced():
    return audit.audit(grace=timedelta(0)) == []


def test_a_refused_usage_row_is_replaced_by_a_plain_one_and_the_call_charged(
    app, tenant, provider, refuse_usage_rows
):
    refuse_usage_rows(PLAIN_ONLY)
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["hello"])
        assert outcome.run.status == "succeeded"
        # 1,500 tokens at 1,000 a credit: 2 credits, the hold returned
        [row] = db.session.execute(select(CreditUsageLog)).scalars()
        assert (row.error_code, row.credits_used, row.input_tokens) == ("settlement_error", 2, 0)
        assert row.cost_usd_total is None and row.raw_usage is None
        hold, returned, settled = ledger_rows(tenant.account_id)[-3:]
        assert (hold[0], returned, settled) == ("hold", ("release", -hold[1]), ("settle", -2))
        assert db.session.get(Account, tenant.account_id).credits == 998
        assert outcome.run.credits_used == 2
        assert balanced()


def test_with_no_usage_row_possible_the_money_is_still_written(
    app, tenant, provider, refuse_usage_rows
):
    refuse_usage_rows(NOTHING)
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["hello", "again"])
        assert outcome.run.status == "succeeded"
        assert db.session.execute(select(CreditUsageLog)).first() is None
        entries = ledger_rows(tenant.account_id)
        assert (
            sorted(t for t, _ in entries if t != "grant")
            == ["hold"] * 2 + ["release"] * 2 + ["settle"] * 2
        )
        assert db.session.get(Account, tenant.account_id).credits == 996
        assert balanced()  # every hold returned, the balance the ledger's sum


def test_a_failed_call_whose_row_is_refused_still_returns_its_hold(
    app, tenant, provider, refuse_usage_rows
):
    refuse_usage_rows(NOTHING)
    provider.script = [ProviderError("invalid_request", "bad")]
    with app.app_context():
        outcome = run_operation(tenant.account_id, "echo", ["x"])
        assert outcome.results[0]["error"]["code"] == "invalid_request"
        assert db.session.get(Account, tenant.account_id).credits == 1000
        assert [t for t, _ in ledger_rows(tenant.account_id)][-2:] == ["hold", "release"]
        assert balanced()


def test_a_day_past_2_31_tokens_of_one_group_still_settles(app, tenant, provider):
    """The daily rollup sums one account/model/operation/tier: 2,150 calls of 1M tokens
    pass 2^31, which a 32-bit sum (PostgreSQL INTEGER) refused, stranding each hold."""
    provider.default = Usage(input_tokens=1_000_000, output_tokens=500)
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["first"])
        first = db.session.execute(select(CreditUsageLog)).scalar_one()
        # the rest of a busy day, as one row of the same group (rolled up by the ORM)
        busy = {c.key: getattr(first, c.key) for c in CreditUsageLog.__mapper__.columns}
        busy.update(id=None, request_id="busy-day", input_tokens=2**31, credits_used=0)
        db.session.add(CreditUsageLog(**busy))
        db.session.commit()
        assert run_operation(tenant.account_id, "echo", ["more"]).run.status == "succeeded"
        rows = db.session.execute(select(CreditUsageLog).order_by(CreditUsageLog.id)).scalars()
        assert [(r.error_code, r.input_tokens) for r in rows][-1] == (None, 1_000_000)
        day = db.session.execute(text("SELECT sum(input_tokens) FROM usage_daily")).scalar()
        assert day == 2**31 + 2_000_000
        assert balanced()


def test_an_implausible_claim_raises_an_alert_once(make_app, webhook_server):
    app = make_app(ALERT_WEBHOOK_URL=webhook_server.url + "/hooks/igny8", RUN_ITEM_CONCURRENCY=1)
    provider = ScriptedProvider()
    app.extensions["igny8"].register(scripted_plugin(provider), "scripted_plugin")
    with app.app_context():
        GlobalIntegrationSettings.get().default_text_model = add_model()
        db.session.commit()
    tenant = create_tenant(app)
    provider.default = Usage(input_tokens=10**15, output_tokens=10)
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["a", "b"])
        flagged = db.session.execute(
            select(CreditUsageLog.error_code, CreditUsageLog.credits_used)
        ).all()
        assert [code for code, _ in flagged] == ["implausible_usage"] * 2
        sent = db.session.execute(select(AlertLog.kind, AlertLog.key)).all()
        assert sent == [("implausible_usage", "implausible_usage:scripted")]  # once a window
        assert balanced()
    message = webhook_server.requests[-1]["json"]["message"]
    assert "claimed more than one call can use" in message and "input_tokens" in message


@pytest.mark.parametrize(
    "usage, cost, expected",
    [
        (Usage(input_tokens=20_000_000, output_tokens=10), "1", None),
        (Usage(input_tokens=20_000_001), "1", "input_tokens 20,000,001 is more than"),
        (Usage(output_tokens=2**40, reasoning_tokens=2**40), "1", "output_tokens"),
        (Usage(images=1_001), "1", "1,001 images is more than one call makes"),
        (Usage(input_tokens=10), "10000.01", "a cost of 10,000.01 USD is more than"),
        (Usage(input_tokens=10), "10000", None),
    ],
)
def test_what_one_call_cannot_have_used(usage, cost, expected):
    bill = price(usage, PriceCard())
    found = doubt(usage, replace(bill, reported=Decimal(cost)), Plausible())
    assert (found is None) if expected is None else (expected in found)
