"""Accounts, users and API tokens: the operations the CLI, the API and the admin share."""

import hashlib
import secrets

from flask import current_app
from sqlalchemy import select, text
from werkzeug.security import check_password_hash, generate_password_hash

from .billing import ledger
from .extensions import db
from .models import Account, ApiToken, Plan, User

TOKEN_PREFIX = "igny8_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    """E-mails are stored and compared as this: trimmed, lower-case."""
    return email.strip().lower()


def lock(account_id: int) -> None:
    """Start a transaction that writes for the account alone until it commits, so a plan
    limit counted in it holds against concurrent requests in any process: the account's
    row lock on PostgreSQL; on SQLite (one writer at a time) a write taken first."""
    db.session.commit()  # the lock must be the new transaction's first statement
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Account.id).where(Account.id == account_id).with_for_update())
    else:
        db.session.execute(text("UPDATE accounts SET id = id WHERE id = :id"), {"id": account_id})


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Every admin session of the user stops working (their ids carry the old nonce)."""
    user.session_nonce = secrets.token_hex(16)


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def issue_token(user: User, name: str = "api") -> str:
    """Create an API token for ``user``; returns the token, which is stored only as its sha256."""
    return new_token(user, name)[0]


def new_token(user: User, name: str = "api") -> tuple[str, ApiToken]:
    """``issue_token``, with the token's row (pending in the session) as well."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        token_hash=hash_token(token),
        token_prefix=token[: len(TOKEN_PREFIX) + 6],
        name=name,
    )
    db.session.add(row)
    return token, row


def active_token(token: str) -> ApiToken | None:
    return db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.is_active)
    ).scalar_one_or_none()


def find_user(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normal_email(email))
    ).scalar_one_or_none()


def find_plan(slug: str) -> Plan | None:
    return db.session.execute(select(Plan).where(Plan.slug == slug)).scalar_one_or_none()


def find_account(name_or_id: str) -> Account | None:
    if str(name_or_id).isdigit():
        found = db.session.get(Account, int(name_or_id))
        if found:
            return found
    return db.session.execute(
        select(Account).where(Account.name == name_or_id)
    ).scalar_one_or_none()


def create_account(name: str, plan: Plan, credits: int = 0) -> Account:
    """A new account; its opening credits go through the ledger like any other grant."""
    account = Account(name=name, plan=plan, credits=0)
    db.session.add(account)
    db.session.flush()
    if credits:
        ledger.apply(
            account.id,
            credits,
            "grant",
            reference="opening-balance",
            description=f"opening balance on plan {plan.slug}",
        )
    return account


def create_user(
    email: str,
    password: str | None = None,
    account: Account | None = None,
    is_superuser: bool = False,
) -> User:
    user = User(email=normal_email(email), account=account, is_superuser=is_superuser)
    if password:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


ADMIN_TESTS_ACCOUNT = "igny8 admin tests (internal)"
ADMIN_TESTS_FLOAT = 100_000


def admin_tests_account() -> Account:
    """The internal account admin test calls are billed to (never a tenant's), created on
    first use and topped up through the ledger, so the books still balance."""
    account = db.session.execute(
        select(Account).where(Account.is_internal, Account.name == ADMIN_TESTS_ACCOUNT)
    ).scalar_one_or_none()
    if account is None:
        plan = db.session.execute(select(Plan).order_by(Plan.id)).scalars().first()
        account = Account(name=ADMIN_TESTS_ACCOUNT, plan=plan, credits=0, is_internal=True)
        db.session.add(account)
        db.session.flush()
    if account.credits < ADMIN_TESTS_FLOAT:
        ledger.apply(
            account.id,
            ADMIN_TESTS_FLOAT - account.credits,
            "grant",
            description="credits for admin test calls (internal)",
        )
    return account
