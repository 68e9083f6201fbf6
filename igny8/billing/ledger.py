"""The credit ledger. Every balance change is one atomic UPDATE plus one ledger row,
written in the caller's transaction, so an account's credits always equal the sum
of its ledger amounts and never go below zero."""

from sqlalchemy import select, update
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import Account, CreditTransaction


class InsufficientCredits(Exception):
    def __init__(self, account_id: int, needed: int, balance: int | None = None):
        super().__init__(f"account {account_id} has fewer than {needed} credits")
        self.account_id = account_id
        self.needed = needed
        self.balance = balance


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
    _refresh(account_id)
    return row


def _refresh(account_id: int) -> None:
    """Keep an already-loaded Account object in step with the row just updated."""
    account = db.session.identity_map.get(identity_key(Account, account_id))
    if account is not None:
        db.session.expire(account, ["credits"])


def apply_many(account_id: int, entries) -> list[CreditTransaction]:
    """Several ledger rows ``(amount, type, reference, description)`` as one balance change."""
    entries = [e for e in entries if e[0]]
    net = sum(e[0] for e in entries)
    stmt = update(Account).where(Account.id == account_id)
    if net < 0:
        stmt = stmt.where(Account.credits >= -net)
    balance = db.session.execute(
        stmt.values(credits=Account.credits + net)
        .returning(Account.credits)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if balance is None:
        raise InsufficientCredits(account_id, -net)
    running = balance - net
    rows = []
    for amount, type_, reference, description in entries:
        running += amount
        rows.append(CreditTransaction(account_id=account_id, amount=amount, balance_after=running,
                                      type=type_, reference=reference, description=description))
    db.session.add_all(rows)
    _refresh(account_id)
    return rows


def hold(account_id: int, worst_case: int, minimum: int, reference: str) -> int:
    """Hold min(balance, worst_case) credits, at least ``minimum``; returns the amount held.

    The debit is one conditional UPDATE; if a concurrent debit got there first the
    balance is read again, so the balance never goes below zero on any database."""
    for _ in range(50):
        balance = db.session.execute(
            select(Account.credits).where(Account.id == account_id)
        ).scalar_one_or_none()
        if balance is None:
            raise LookupError(f"no account {account_id}")
        if balance < minimum:
            raise InsufficientCredits(account_id, minimum, balance)
        amount = min(balance, worst_case)
        if amount == 0:
            return 0
        try:
            apply(account_id, -amount, "hold", reference=reference)
        except InsufficientCredits:
            continue  # the balance moved under us: look again
        return amount
    raise InsufficientCredits(account_id, minimum)


def settle(account_id: int, held: int, charged: int, reference: str, description: str | None = None):
    """Return the hold and take the charge, in one balance change."""
    if charged > held:
        raise ValueError("a call is never charged more than was held for it")
    return apply_many(account_id, [
        (held, "release", reference, "hold returned at settlement"),
        (-charged, "settle", reference, description),
    ])


def release(account_id: int, held: int, reference: str, description: str | None = None):
    return apply_many(account_id, [(held, "release", reference, description)])
