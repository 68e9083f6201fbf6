"""The credit ledger. Every balance change is one atomic UPDATE plus one ledger row,
written in the caller's transaction, so an account's credits always equal the sum
of its ledger amounts and never go below zero."""

from sqlalchemy import update
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import Account, CreditTransaction


class InsufficientCredits(Exception):
    def __init__(self, account_id: int, needed: int):
        super().__init__(f"account {account_id} has fewer than {needed} credits")
        self.account_id = account_id
        self.needed = needed


def apply(
    account_id: int,
    amount: int,
    type: str,
    reference: str | None = None,
    description: str | None = None,
) -> CreditTransaction:
    """Change the balance by ``amount`` (a debit only when the balance covers it)."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("credit amounts are integers")
    stmt = update(Account).where(Account.id == account_id)
    if amount < 0:
        stmt = stmt.where(Account.credits >= -amount)
    balance = db.session.execute(
        stmt.values(credits=Account.credits + amount)
        .returning(Account.credits)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if balance is None:
        if db.session.get(Account, account_id) is None:
            raise LookupError(f"no account {account_id}")
        raise InsufficientCredits(account_id, -amount)
    row = CreditTransaction(
        account_id=account_id,
        amount=amount,
        balance_after=balance,
        type=type,
        reference=reference,
        description=description,
    )
    db.session.add(row)
    # Keep an already-loaded Account object in step with the row we just updated.
    account = db.session.identity_map.get(identity_key(Account, account_id))
    if account is not None:
        db.session.expire(account, ["credits"])
    return row
