"""audit-ledger, release-stale-holds, backfill-costs, and price history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from metering_support import model_named
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from igny8.ai.engine import run_operation
from igny8.ai.provider import ProviderError
from igny8.billing import ledger
from igny8.extensions import db
from igny8.models import (
    Account,
    CreditTransaction,
    CreditUsageLog,
    ModelPrice,
    OperationRun,
    UsageCostRevision,
)
from igny8.timeutil import utcnow


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["igny8", *args])


def test_audit_is_clean_after_real_calls(app, tenant, provider):
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["a", "b"])
    result = invoke(app, "audit-ledger")
    assert result.exit_code == 0 and "ledger OK" in result.output


def test_audit_reports_each_kind_of_mismatch(app, make_tenant, provider):
    broken, doubled, hanging = make_tenant(), make_tenant(), make_tenant()
    with app.app_context():
        # balance changed behind the ledger's back
        db.session.execute(
            update(Account).where(Account.id == broken.account_id).values(credits=999)
        )
        # a usage row whose charge the ledger does not show
        run_operation(doubled.account_id, "echo", ["x"])
        db.session.execute(update(CreditUsageLog).values(credits_used=5))
        # a hold from a process that died before settling, an hour ago
        ledger.hold(hanging.account_id, 3, 1, "dead-call")
        db.session.execute(
            update(CreditTransaction)
            .where(CreditTransaction.reference == "dead-call")
            .values(created_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    result = invoke(app, "audit-ledger")
    assert result.exit_code == 1
    assert (
        f"balance_mismatch: account {broken.account_id}: balance 999 but ledger sums to 1000"
        in result.output
    )
    assert f"charge_mismatch: account {doubled.account_id}" in result.output
    assert (
        f"hold_not_released: account {hanging.account_id}: hold of 3 for call dead-call"
        in result.output
    )
    # a hold younger than the grace period is a call in flight, not a finding
    assert "hold_not_released" not in invoke(app, "audit-ledger", "--grace-minutes", "120").output


def test_the_database_refuses_a_second_settlement(app, tenant):
    with app.app_context():
        ledger.hold(tenant.account_id, 5, 1, "call-1")
        ledger.settle(tenant.account_id, 5, 2, "call-1")
        db.session.commit()
        with pytest.raises(IntegrityError):
            ledger.settle(tenant.account_id, 5, 2, "call-1")
            db.session.flush()
        db.session.rollback()
        assert db.session.get(Account, tenant.account_id).credits == 998


def test_release_stale_holds_gives_back_what_a_killed_process_held(app, tenant, provider):
    with app.app_context():
        ledger.hold(tenant.account_id, 7, 1, "killed-call")
        db.session.add(
            OperationRun(
                account_id=tenant.account_id,
                operation="echo",
                status="running",
                created_at=utcnow() - timedelta(hours=2),
            )
        )
        db.session.execute(
            update(CreditTransaction)
            .where(CreditTransaction.reference == "killed-call")
            .values(created_at=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
        assert db.session.get(Account, tenant.account_id).credits == 993
    result = invoke(app, "release-stale-holds", "--older-than", "30")
    assert (
        result.exit_code == 0
        and "released 1 stale hold(s); marked 1 abandoned run(s) failed" in result.output
    )
    assert "released 0" in invoke(app, "release-stale-holds", "--older-than", "30").output
    with app.app_context():
        assert db.session.get(Account, tenant.account_id).credits == 1000
        assert db.session.execute(select(OperationRun.status)).scalar_one() == "failed"
    assert invoke(app, "audit-ledger").exit_code == 0
    assert invoke(app, "release-stale-holds").exit_code == 2  # --older-than is required


def test_a_long_run_that_still_makes_progress_is_not_swept(app, tenant):
    """Staleness is the worker's last sign of life, not the run's age: a run started two
    hours ago that finished an item a minute ago is kept; one silent for an hour is failed,
    and so is a run queued an hour ago that nobody picked up."""
    old, recent = utcnow() - timedelta(hours=2), utcnow() - timedelta(minutes=1)
    with app.app_context():
        for name, status, heartbeat, created in (
            ("alive", "running", recent, old),
            ("silent", "running", utcnow() - timedelta(hours=1), old),
            ("never_started", "queued", None, utcnow() - timedelta(hours=1)),
            ("just_queued", "queued", None, recent),
        ):
            db.session.add(
                OperationRun(
                    account_id=tenant.account_id,
                    operation=name,
                    status=status,
                    heartbeat_at=heartbeat,
                    created_at=created,
                )
            )
        db.session.commit()
    result = invoke(app, "release-stale-holds", "--older-than", "30")
    assert "marked 2 abandoned run(s) failed" in result.output
    with app.app_context():
        statuses = dict(
            db.session.execute(select(OperationRun.operation, OperationRun.status)).all()
        )
    assert statuses == {
        "alive": "running",
        "silent": "failed",
        "never_started": "failed",
        "just_queued": "queued",
    }


def test_a_call_settling_after_its_hold_was_released_charges_nothing(
    app, tenant, provider, monkeypatch
):
    """release-stale-holds running while a slow call is still out: exactly once still holds."""
    from igny8.billing import audit

    original = provider.complete

    def slow_complete(request, credential):
        with app.app_context():
            db.session.execute(
                update(CreditTransaction).values(created_at=utcnow() - timedelta(hours=1))
            )
            db.session.commit()
            audit.release_stale_holds(timedelta(minutes=30))
        return original(request, credential)

    monkeypatch.setattr(provider, "complete", slow_complete)
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["x"])
        log = db.session.execute(select(CreditUsageLog)).scalar_one()
        assert (log.credits_used, log.credits_unbilled, log.error_code) == (0, 2, "hold_released")
        assert db.session.get(Account, tenant.account_id).credits == 1000
    assert invoke(app, "audit-ledger").exit_code == 0


def test_a_price_change_writes_history_and_never_reprices_the_past(app, tenant, provider):
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["before"])
        model = model_named("scripted-1")
        model.cost_per_1k_output = Decimal("0.016")
        db.session.commit()
        prices = (
            db.session.execute(
                select(ModelPrice).where(ModelPrice.model_id == model.id).order_by(ModelPrice.id)
            )
            .scalars()
            .all()
        )
        assert [p.cost_per_1k_output for p in prices] == [Decimal("0.008"), Decimal("0.016")]
        model.display_name = "renamed"  # not a price: no new history row
        db.session.commit()
        assert (
            len(db.session.execute(select(ModelPrice).where(ModelPrice.model_id == model.id)).all())
            == 2
        )
        run_operation(tenant.account_id, "echo", ["after"])
        totals = [
            r.cost_usd_total
            for r in db.session.execute(
                select(CreditUsageLog).order_by(CreditUsageLog.id)
            ).scalars()
        ]
        assert totals == [Decimal("0.006"), Decimal("0.010")]


def test_backfill_costs_prices_rows_at_the_price_of_their_time(app, tenant, provider):
    with app.app_context():
        model = model_named("scripted-1")
        first = db.session.execute(
            select(ModelPrice).where(ModelPrice.model_id == model.id)
        ).scalar_one()
        first.effective_from = utcnow() - timedelta(days=10)
        db.session.add(
            ModelPrice(
                model_id=model.id,
                cost_per_1k_input=Decimal("1"),
                cost_per_1k_output=Decimal("1"),
                effective_from=utcnow() - timedelta(days=2),
            )
        )
        common = dict(
            account_id=tenant.account_id,
            operation="echo",
            provider="scripted",
            model_config_id=model.id,
            input_tokens=1000,
            output_tokens=500,
        )
        db.session.add_all(
            [
                CreditUsageLog(request_id="old", created_at=utcnow() - timedelta(days=5), **common),
                CreditUsageLog(request_id="new", created_at=utcnow() - timedelta(days=1), **common),
                CreditUsageLog(
                    request_id="ancient", created_at=utcnow() - timedelta(days=30), **common
                ),
            ]
        )
        db.session.commit()
    dry = invoke(app, "backfill-costs", "--dry-run")
    assert dry.exit_code == 0 and "would price 2 row(s); 1 have no price in force" in dry.output
    with app.app_context():
        assert (
            db.session.execute(
                select(CreditUsageLog.cost_usd_total).where(CreditUsageLog.request_id == "old")
            ).scalar_one()
            is None
        )
    result = invoke(app, "backfill-costs")
    assert result.exit_code == 0 and "priced 2 row(s); 1 left unpriced" in result.output
    with app.app_context():
        costs = dict(
            db.session.execute(
                select(CreditUsageLog.request_id, CreditUsageLog.cost_usd_total)
            ).all()
        )
        # 5 days ago: 0.002 and 0.008 per 1k -> 0.002 + 0.004; 1 day ago: 1 and 1 per 1k -> 1 + 0.5
        assert costs == {"old": Decimal("0.006"), "new": Decimal("1.5"), "ancient": None}
    again = invoke(app, "backfill-costs")
    assert "priced 0 row(s); 1 left unpriced" in again.output


def test_reprice_corrects_costs_with_a_trail_and_never_credits(app, tenant, provider):
    with app.app_context():
        model = model_named("scripted-1")
        for p in model.prices:  # the price the calls were made at, dated a week back
            p.effective_from = utcnow() - timedelta(days=7)
        db.session.commit()
        run_operation(tenant.account_id, "echo", ["a"])
        run_operation(tenant.account_id, "echo", ["b"])
        rows = (
            db.session.execute(select(CreditUsageLog).order_by(CreditUsageLog.id)).scalars().all()
        )
        # 1,000 in x 0.002 + 500 out x 0.008 (per 1k) = 0.006 each
        assert [r.cost_usd_total for r in rows] == [Decimal("0.006")] * 2
        credits = [r.credits_used for r in rows]
        balance = db.session.get(Account, tenant.account_id).credits
        # The output price was wrong: corrected from 3 days back, as `prices sync
        # --effective-from` or an admin's dated price row does.
        db.session.info["igny8_price_effective_from"] = utcnow() - timedelta(days=3)
        model.cost_per_1k_output = Decimal("0.004")
        db.session.commit()
        db.session.info.pop("igny8_price_effective_from")
    assert (
        "--reprice and --since DATE go together"
        in invoke(app, "backfill-costs", "--reprice").output
    )
    since = (utcnow() - timedelta(days=5)).date().isoformat()
    dry = invoke(app, "backfill-costs", "--reprice", "--since", since, "--dry-run")
    assert "would re-price 2 row(s), cost 0.01200000 -> 0.00800000 USD" in dry.output
    result = invoke(app, "backfill-costs", "--reprice", "--since", since)
    assert result.exit_code == 0, result.output
    assert "re-priced 2 row(s), cost 0.01200000 -> 0.00800000 USD" in result.output
    with app.app_context():
        rows = (
            db.session.execute(select(CreditUsageLog).order_by(CreditUsageLog.id)).scalars().all()
        )
        # 0.002 + 500 x 0.004/1k = 0.004
        assert [r.cost_usd_total for r in rows] == [Decimal("0.004")] * 2
        assert [r.cost_usd_output for r in rows] == [Decimal("0.002")] * 2
        assert [r.credits_used for r in rows] == credits
        assert db.session.get(Account, tenant.account_id).credits == balance
        revisions = db.session.execute(select(UsageCostRevision)).scalars().all()
        assert [(r.old_cost_usd_total, r.new_cost_usd_total) for r in revisions] == [
            (Decimal("0.006"), Decimal("0.004"))
        ] * 2
        assert revisions[0].before["prices_used"]["output"] == "8"  # per 1M
        assert revisions[0].after["prices_used"]["output"] == "4"
    assert (
        "re-priced 0 row(s)" in invoke(app, "backfill-costs", "--reprice", "--since", since).output
    )
    assert invoke(app, "audit-ledger").exit_code == 0


def test_the_daily_rollup_follows_the_log_and_the_audit_checks_it(app, tenant, provider):
    from igny8.billing import rollup
    from igny8.models import UsageDaily

    provider.script = [provider.default, ProviderError("invalid_request", "no")] * 2
    with app.app_context():
        run_operation(tenant.account_id, "echo", ["a", "b", "c", "d"])
        rows = db.session.execute(select(UsageDaily).order_by(UsageDaily.status)).scalars().all()
        # the meter's calls, summed per day and outcome: 2 failed, 2 succeeded
        assert [(r.status, r.calls) for r in rows] == [("failed", 2), ("success", 2)]
        ok = rows[1]
        assert (ok.input_tokens, ok.output_tokens, ok.cost_usd_total) == (
            2000,
            1000,
            Decimal("0.012"),
        )
        assert rollup.differences(db.session) == []
        # Tampered with, the audit says so; a rebuild makes it right again.
        ok.calls = 5
        db.session.commit()
    result = invoke(app, "audit-ledger")
    assert result.exit_code == 1 and "rollup_mismatch" in result.output
    assert "rebuilt the daily usage rollup: 2 row(s)" in invoke(app, "rebuild-rollup").output
    assert invoke(app, "audit-ledger").exit_code == 0
