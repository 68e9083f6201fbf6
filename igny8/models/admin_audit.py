"""What platform admins changed: one row per created, changed or deleted record."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at, pk


class AdminAuditLog(db.Model):
    __tablename__ = "admin_audit_logs"
    __table_args__ = (Index("ix_admin_audit_logs_target", "target", "target_id"),)

    id: Mapped[int] = pk()
    created_at: Mapped[datetime] = created_at()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as written, so the trail outlives the admin's user row.
    user_email: Mapped[str | None] = mapped_column(String(255))
    # create | update | delete, or what the admin asked for (archive, adjust credits, ...)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))  # the table
    target_id: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)


class AlertLog(db.Model):
    """An alert sent (low balance, error spike): also what keeps one from repeating."""

    __tablename__ = "alert_logs"
    __table_args__ = (Index("ix_alert_logs_key_sent", "key", "sent_at"),)

    id: Mapped[int] = pk()
    key: Mapped[str] = mapped_column(String(120))  # e.g. low_balance:12, error_spike:openai
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    channels: Mapped[str] = mapped_column(String(80))  # where it went: webhook, email
    delivered: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime] = created_at()
