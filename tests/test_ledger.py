"""The credit ledger: balance == sum of ledger rows, never below zero."""

import pytest
from sqlalchemy import func, select

from igny8.billing import ledger
from igny8.extensions import db
from igny8.models import Account, CreditTransaction


def ledger_sum(account_id):
    return db.session.execute(
        select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
            CreditTransaction.account_id == account_id
        )
    ).scalar_one()


def test_opening_balance_is_a_ledger_row(app, tenant):
    with app.app_context():
        rows = (
            db.session.execute(
                select(CreditTransaction).where(CreditTransaction.account_id == tenant.account_id)
            )
            .scalars()
            .all()
        )
        assert [(r.amount, r.balance_after, r.type) for r in rows] == [(1000, 1000, "grant")]


def test_debit_and_credit_keep_balance_equal_to_ledger(app, tenant):
    with app.app_context():
        account = db.session.get(Account, tenant.account_id)
        assert account.credits == 1000
        row = ledger.apply(tenant.account_id, -300, "adjustment", description="test")
        assert row.balance_after == 700
        assert account.credits == 700  # the loaded object is refreshed
        ledger.apply(tenant.account_id, 50, "grant")
        db.session.commit()
        assert (
            db.session.get(Account, tenant.account_id).credits
            == 750
            == ledger_sum(tenant.account_id)
        )


def test_debit_beyond_balance_is_refused_and_changes_nothing(app, tenant):
    with app.app_context():
        with pytest.raises(ledger.InsufficientCredits):
            ledger.apply(tenant.account_id, -1001, "adjustment")
        db.session.commit()
        assert (
            db.session.get(Account, tenant.account_id).credits
            == 1000
            == ledger_sum(tenant.account_id)
        )


def test_unknown_account_and_non_integer_amounts(app):
    with app.app_context():
        with pytest.raises(LookupError):
            ledger.apply(999999, -1, "adjustment")
        with pytest.raises(TypeError):
            ledger.apply(1, 1.5, "grant")
