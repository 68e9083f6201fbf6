"""Prompt templates: a global row per key, optionally overridden per account."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import pk, unique_where, updated_at


class Prompt(db.Model):
    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("key", "account_id"),
        # NULLs are distinct in a unique constraint, so the global row needs its own index.
        unique_where("uq_prompts_global_key", "key", condition="account_id IS NULL"),
    )

    id: Mapped[int] = pk()
    key: Mapped[str] = mapped_column(String(80))
    template: Mapped[str] = mapped_column(Text)
    # Null: the global prompt. Set: that account's override (reset = delete the row).
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = updated_at()
