"""The credit ledger. Every balance change is one conditional UPDATE plus its ledger
rows, written in the caller's transaction, so an account's credits always equal the
sum of its ledger amounts and never go below zero.

These are the hot path of every metered call, so they speak SQLAlchemy Core on the
session's connection: no unit of work, two or three statements per change.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import Account, CreditTransaction
from ..timeutil import utcnow

ACCOUNTS = Account.__table__
LEDGER = CreditTransaction.__table__

# Built once: constructing a statement costs more than running it.
_ADD = (
    update(ACCOUNTS)
    .where(ACCOUNTS.c.id == bindparam("b_account"))
    .values(credits=ACCOUNTS.c.credits + bindparam("b_net"))
    .returning(ACCOUNTS.c.credits)
)
_TAKE = (
    update(ACCOUNTS)
    .where(ACCOUNTS.c.id == bindparam("b_account"), ACCOUNTS.c.credits >= bindparam("b_need"))
    .values(credits=ACCOUNTS.c.credits - bindparam("b_need"))
    .returning(ACCOUNTS.c.credits)
)
_BALANCE = select(ACCOUNTS.c.credits).where(ACCOUNTS.c.id == bindparam("b_account"))
_WRITE = insert(LEDGER)
_CLOSED = (
    select(LEDGER.c.id)
    .where(LEDGER.c.reference == bindparam("b_reference"), LEDGER.c.type.in_(("release", "settle")))
    .limit(1)
)


class InsufficientCredits(Exception):
    def __init__(self, account_id: int, needed: int, balance: int | None = None):
        super().__init__(f"account {account_id} has fewer than {needed} credits")
        self.account_id = account_id
        self.needed = needed
        self.balance = balance


@dataclass(frozen=True)
class Entry:
    """One ledger row as written."""

    amount: int
    type: str
    balance_after: int
    reference: str | None = None
    description: str | None = None


def _balance(conn, account_id: int) -> int | None:
    return conn.execute(_BALANCE, {"b_account": account_id}).scalar_one_or_none()


def apply_many(account_id: int, entries, conn=None) -> list[Entry]:
    """Several ledger rows ``(amount, type, reference, description)`` as one balance change,
    on ``conn`` (default: the session's connection), in its transaction."""
    conn = conn if conn is not None else db.session.connection()
    entries = [e for e in entries if e[0]]
    net = sum(e[0] for e in entries)
    if net < 0:
        balance = conn.execute(
            _TAKE, {"b_account": account_id, "b_need": -net}
        ).scalar_one_or_none()
    else:
        balance = conn.execute(_ADD, {"b_account": account_id, "b_net": net}).scalar_one_or_none()
    if balance is None:
        if _balance(conn, account_id) is None:
            raise LookupError(f"no account {account_id}")
        raise InsufficientCredits(account_id, -net)
    running, written = balance - net, []
    for amount, type_, reference, description in entries:
        running += amount
        written.append(Entry(amount, type_, running, reference, description))
    if written:
        now = utcnow()
        conn.execute(
            _WRITE,
            [
                {
                    "account_id": account_id,
                    "amount": e.amount,
                    "balance_after": e.balance_after,
                    "type": e.type,
                    "reference": e.reference,
                    "description": e.description,
                    "created_at": now,
                }
                for e in written
            ],
        )
    forget_balance(account_id)
    return written


def apply(
    account_id: int,
    amount: int,
    type: str,
    reference: str | None = None,
    description: str | None = None,
    conn=None,
) -> Entry:
    """Change the balance by ``amount`` (a debit only when the balance covers it)."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("credit amounts are integers")
    return apply_many(account_id, [(amount, type, reference, description)], conn)[0]


def forget_balance(account_id: int) -> None:
    """Keep an already-loaded Account object in step with a balance changed in SQL
    (here, or on another connection): it is reloaded when next read."""
    account = db.session.identity_map.get(identity_key(Account, account_id))
    if account is not None:
        db.session.expire(account, ["credits"])


def hold(account_id: int, worst_case: int, minimum: int, reference: str, conn=None) -> int:
    """Hold min(balance, worst_case) credits, at least ``minimum``; returns the amount held
    (take_what_there_is, one conditional UPDATE a try)."""
    conn = conn if conn is not None else db.session.connection()

    def take(amount: int) -> bool:
        try:
            apply(account_id, -amount, "hold", reference=reference, conn=conn)
            return True
        except InsufficientCredits:
            return False

    return take_what_there_is(account_id, worst_case, minimum, take, conn)


def take_what_there_is(account_id: int, worst_case: int, minimum: int, take, conn) -> int:
    """The hold strategy of both writers (igny8.billing.writer): ``take(amount)`` debits
    that much if the balance allows (a conditional UPDATE) and says whether it did.

    The common case is one try for the whole worst case. When the balance is short, it is
    read and the smaller hold tried; a concurrent debit that gets there first makes the
    try fail, and the balance is read again. No balance ever goes below zero, on any
    database."""
    amount = worst_case
    for _ in range(50):
        if amount > 0 and take(amount):
            return amount
        balance = _balance(conn, account_id)
        if balance is None:
            raise LookupError(f"no account {account_id}")
        if balance < minimum:
            raise InsufficientCredits(account_id, minimum, balance)
        amount = min(balance, worst_case)
        if amount == 0:
            return 0
    raise InsufficientCredits(account_id, minimum)


def settle(
    account_id: int,
    held: int,
    charged: int,
    reference: str,
    description: str | None = None,
    conn=None,
):
    """Return the hold and take the charge, in one balance change."""
    if charged > held:
        raise ValueError("a call is never charged more than was held for it")
    return apply_many(
        account_id,
        [
            (held, "release", reference, "hold returned at settlement"),
            (-charged, "settle", reference, description),
        ],
        conn,
    )


def closed(reference: str, conn) -> bool:
    """Whether the call's hold was already returned (at settlement, on failure, or by
    release-stale-holds)."""
    return conn.execute(_CLOSED, {"b_reference": reference}).first() is not None


def release(account_id: int, held: int, reference: str, description: str | None = None, conn=None):
    return apply_many(account_id, [(held, "release", reference, description)], conn)
