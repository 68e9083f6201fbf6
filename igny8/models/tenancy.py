"""Who uses the platform: plans, accounts (tenants), users, API tokens, sites."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..crypto import EncryptedString
from ..extensions import db
from .base import Count, account_fk, created_at, one_of, pk


class Plan(db.Model):
    __tablename__ = "plans"
    __table_args__ = (CheckConstraint("monthly_credits >= 0", name="monthly_credits_non_negative"),)

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    monthly_credits: Mapped[int] = mapped_column(Count, default=0)
    allows_overrides: Mapped[bool] = mapped_column(Boolean, default=False)
    max_sites: Mapped[int] = mapped_column(Integer, default=1)
    max_keywords: Mapped[int] = mapped_column(Integer, default=100)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return self.name


class Account(db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("credits >= 0", name="credits_non_negative"),
        CheckConstraint(
            "max_concurrency IS NULL OR max_concurrency > 0", name="max_concurrency_positive"
        ),
    )

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    # Changed only through igny8.billing.ledger, so it always equals the sum of the ledger.
    credits: Mapped[int] = mapped_column(Count, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # An account with billing history is archived (deactivated, hidden), never deleted.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The platform's own account (admin test calls), not a tenant.
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    # Items of this account's runs in flight at once (null: ACCOUNT_CONCURRENCY).
    max_concurrency: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()

    plan: Mapped[Plan] = relationship(lazy="joined")
    users: Mapped[list["User"]] = relationship(back_populates="account")

    def __str__(self):
        return self.name

    @validates("max_concurrency")
    def _check_limit(self, key, value):
        from ..limits import check_limit

        return check_limit(key, value)


# What an account's member may do (igny8.api.auth): a viewer reads; an editor also runs and
# edits; an owner also manages the account's users, API tokens and settings.
ROLES = ("owner", "editor", "viewer")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="role"),)

    id: Mapped[int] = pk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Platform admins may belong to no account.
    account_id: Mapped[int | None] = account_fk(nullable=True)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    role: Mapped[str] = mapped_column(String(10), default="owner", server_default="owner")
    last_sign_in_at: Mapped[datetime | None]
    # Part of the id an admin session carries: a new one (sign-out, new password) ends
    # every session, copied cookies included.
    session_nonce: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at()

    account: Mapped[Account | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_nonce or ''}"

    def __str__(self):
        return self.email


# An API token (made by its user, sent as a bearer token) or a browser session (made by
# signing in, carried in an HttpOnly cookie, ending at expires_at or on sign-out).
TOKEN_KINDS = ("api", "session")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(one_of("kind", TOKEN_KINDS), name="kind"),)

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 hex of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Its first characters (igny8_ and 6 more), shown in lists to tell tokens apart; not
    # enough to use it. None for tokens made before it was kept.
    token_prefix: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80), default="api")
    kind: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    expires_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

    user: Mapped[User] = relationship(lazy="joined")

    def __str__(self):
        return f"{self.name} ({self.user.email})"


class Site(db.Model):
    __tablename__ = "sites"
    # (id, account_id) is unique so tenant tables can point at a site *of their account*.
    __table_args__ = (UniqueConstraint("id", "account_id"),)

    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk()
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    wp_url: Mapped[str | None] = mapped_column(String(500))
    wp_username: Mapped[str | None] = mapped_column(String(200))
    wp_app_password: Mapped[str | None] = mapped_column(EncryptedString)
    # Publishing by webhook: POST of the content as JSON, signed with HMAC-SHA256.
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedString)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at()

    account: Mapped[Account] = relationship()

    def __str__(self):
        return self.name

    @property
    def publish_target(self) -> str | None:
        """Where `publish` sends content by default: WordPress when configured, else a webhook."""
        if self.wp_url and self.wp_username and self.wp_app_password:
            return "wordpress"
        if self.webhook_url:
            return "webhook"
        return None
