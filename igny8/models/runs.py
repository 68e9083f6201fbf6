"""One request to run an operation over a list of items, and what came of it."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import ZERO, Count, Money, account_fk, created_at, one_of, pk
from .tenancy import Account

RUN_STATUSES = ("queued", "running", "succeeded", "partial", "failed", "cancelled")
FINISHED = ("succeeded", "partial", "failed", "cancelled")
ACTIVE = ("queued", "running")
ITEM_STATUSES = ("succeeded", "failed", "cancelled")


class OperationRun(db.Model):
    __tablename__ = "operation_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        CheckConstraint("credits_used >= 0", name="credits_used_non_negative"),
        # A replayed Idempotency-Key finds the stored run instead of running again.
        UniqueConstraint("account_id", "idempotency_key"),
    )

    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk(money=True)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )
    operation: Mapped[str] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    items: Mapped[int] = mapped_column(Integer, default=0)
    items_succeeded: Mapped[int] = mapped_column(Integer, default=0)
    items_failed: Mapped[int] = mapped_column(Integer, default=0)
    credits_used: Mapped[int] = mapped_column(Count, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    model_name: Mapped[str | None] = mapped_column(String(120))
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    # Whose request started the run (none for the CLI's): spend per API token and per user.
    api_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request: Mapped[dict | None] = mapped_column(JSON)
    # The units of work (the operation's prepare applied to the caller's items).
    work: Mapped[list | None] = mapped_column(JSON)
    # Asked to stop: the engine starts no further item (POST /runs/{id}/cancel).
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None]
    # When the worker last showed it was alive (claiming the run, finishing an item): a
    # running run whose heartbeat is old was abandoned (release-stale-holds fails it).
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship(viewonly=True)


class OperationRunItem(db.Model):
    """What came of one item of a run, written when the item ends, in the item's own
    transaction: each item costs one row however long the run (the run's counters are
    incremented beside it), and a worker taking the run over skips the items found here."""

    __tablename__ = "operation_run_items"
    __table_args__ = (
        UniqueConstraint("run_id", "position"),
        CheckConstraint(one_of("status", ITEM_STATUSES), name="status"),
    )

    id: Mapped[int] = pk()
    run_id: Mapped[int] = mapped_column(
        ForeignKey("operation_runs.id", ondelete="CASCADE"), index=False
    )
    position: Mapped[int] = mapped_column(Integer)  # the item's index in the run's work
    status: Mapped[str] = mapped_column(String(20))
    # The item's entry in the run's results: {"item", "status", ...the handler's result}
    # or {"item", "status": "failed", "error": {"code", "message"}}.
    result: Mapped[dict] = mapped_column(JSON)
    finished_at: Mapped[datetime] = created_at()


def run_results(run_id: int) -> list[dict]:
    """A run's results so far, in the order of its items."""
    return list(
        db.session.execute(
            select(OperationRunItem.result)
            .where(OperationRunItem.run_id == run_id)
            .order_by(OperationRunItem.position)
        ).scalars()
    )


def abandoned_since(cutoff: datetime):
    """The condition for runs nobody has worked on since ``cutoff``: queued and never
    picked up, or running with no sign of life from their worker (release-stale-holds
    fails them; the Celery sweep sends them to a worker again)."""
    last_sign = func.coalesce(OperationRun.heartbeat_at, OperationRun.created_at)
    return ((OperationRun.status == "queued") & (OperationRun.created_at < cutoff)) | (
        (OperationRun.status == "running") & (last_sign < cutoff)
    )


def run_status(run_id: int) -> str | None:
    """The run's status as committed now, read on a connection of its own (the session,
    and what it has loaded, are left alone; the connection goes back to the pool)."""
    with db.engine.connect() as conn:
        return conn.execute(select(OperationRun.status).where(OperationRun.id == run_id)).scalar()


def read_run(run_id: int) -> OperationRun:
    """The run as it is in the database now: another thread or process writes it, and
    the session may hold it unexpired (populate_existing overwrites what it holds)."""
    db.session.rollback()
    return db.session.get(OperationRun, run_id, populate_existing=True)


class IdempotentRequest(db.Model):
    """A write request sent with an Idempotency-Key: claimed while it runs, then its answer,
    replayed to any retry of the same request with the same key (igny8/api/idempotency.py)."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        UniqueConstraint("account_id", "key"),
        CheckConstraint(one_of("state", ("pending", "done")), name="state"),
    )

    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk(index=False)
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the request
    state: Mapped[str] = mapped_column(String(10), default="pending")
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(Text)
    # The AI run the request queued: a replay answers with that run as it is then.
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()


NOTIFICATION_KINDS = ("low_balance", "run_failed", "run_partial")


class Notification(db.Model):
    """Something an account's users should see (igny8.notifications): its balance running
    low, a run that failed or only partly succeeded. Read by the account, not per user."""

    __tablename__ = "notifications"
    __table_args__ = (CheckConstraint(one_of("kind", NOTIFICATION_KINDS), name="kind"),)

    id: Mapped[int] = pk()
    account_id: Mapped[int] = account_fk()
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("operation_runs.id", ondelete="SET NULL"), index=False
    )
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None]
