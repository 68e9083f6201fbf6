"""Accounts, users and API tokens: the operations the CLI, the API and the admin share."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select, text, update
from werkzeug.security import check_password_hash, generate_password_hash

from .billing import ledger
from .extensions import db
from .models import Account, ApiToken, Plan, User
from .timeutil import utcnow

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


def set_password(user: User, password: str, keep_session_id: int | None = None) -> None:
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    end_sessions(user, keep_session_id)


def end_sessions(user: User, keep_session_id: int | None = None) -> None:
    """Every session of the user stops working: the admin's (their ids carry the old
    nonce) and the API's browser sessions, but for ``keep_session_id``."""
    user.session_nonce = secrets.token_hex(16)
    if user.id is not None:
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.kind == "session",
                ApiToken.id != (keep_session_id or 0),
            )
            .values(is_active=False)
            .execution_options(synchronize_session=False)
        )


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def issue_token(user: User, name: str = "api") -> str:
    """Create an API token for ``user``; returns the token, which is stored only as its sha256."""
    return new_token(user, name)[0]


def new_token(user: User, name: str = "api", kind: str = "api", expires_at=None):
    """``issue_token``, with the token's row (pending in the session) as well."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        token_hash=hash_token(token),
        token_prefix=token[: len(TOKEN_PREFIX) + 6],
        name=name,
        kind=kind,
        expires_at=expires_at,
    )
    db.session.add(row)
    return token, row


def new_session(user: User, name: str) -> tuple[str, ApiToken]:
    """A browser session for ``user`` (signing in): a token of kind "session" that ends
    after API_SESSION_HOURS, on sign-out, or when the password changes."""
    lifetime = timedelta(hours=current_app.config["API_SESSION_HOURS"])
    user.last_sign_in_at = utcnow()
    return new_token(user, name[:80] or "session", "session", utcnow() + lifetime)


def active_token(token: str) -> ApiToken | None:
    return db.session.execute(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.is_active,
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
        )
    ).scalar_one_or_none()


def csrf_token(session: ApiToken) -> str:
    """What a request made with the session's cookie must send in X-CSRF-Token: derived
    from the session (nothing stored), known only to the page that signed in."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"csrf:" + session.token_hash.encode(), hashlib.sha256).hexdigest()


# Links that set a password: a reset (the user forgot it) or an invitation (a new member).
PASSWORD_PURPOSES = ("reset", "invitation")


def _password_links(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"igny8-{purpose}")


def _stamp(user: User) -> str:
    """Changes when the password or the sessions do: a used link stops working."""
    seen = f"{user.password_hash or ''}:{user.session_nonce or ''}".encode()
    return hashlib.sha256(seen).hexdigest()[:16]


def password_link(user: User, purpose: str) -> str:
    return _password_links(purpose).dumps([user.id, _stamp(user)])


def user_of_password_link(token: str, purpose: str) -> User | None:
    """The active user a reset or invitation link is for, while it is fresh and unused."""
    max_age = current_app.config["PASSWORD_LINK_MINUTES"] * 60
    try:
        user_id, stamp = _password_links(purpose).loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or not hmac.compare_digest(str(stamp), _stamp(user)):
        return None
    return user


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
