"""What an account's users are told, kept as rows the API lists (GET /notifications): a
run that failed or only partly succeeded, and the balance running low. Decided when a run
ends, in the transaction that ends it, so each run tells at most once and a metered call
pays nothing for it. Low balance: the balance (counting what calls still in flight hold
and will mostly give back) under NOTIFY_LOW_BALANCE_CREDITS, at most once per
NOTIFY_REPEAT_HOURS per account."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select

from .billing.audit import HELD_IN_FLIGHT, held_params
from .extensions import db
from .models import Account, Notification, OperationRun
from .timeutil import utcnow


def after_run(run: OperationRun) -> None:
    """The notifications a run's end calls for, added to the session (not committed)."""
    if run.status in ("failed", "partial"):
        done = f"{run.items_succeeded} of {run.items} items succeeded"
        db.session.add(
            Notification(
                account_id=run.account_id,
                kind=f"run_{run.status}",
                run_id=run.id,
                message=f"run {run.id} ({run.operation}) {run.status}: {done}"
                + (f"; {run.error}" if run.error else ""),
            )
        )
    if run.credits_used:
        _low_balance(run.account_id)


_LOW_BALANCE = select(Account.credits + HELD_IN_FLIGHT).where(
    Account.id == bindparam("account"),
    Account.credits < bindparam("threshold"),
    ~Account.is_internal,
)


def _low_balance(account_id: int) -> None:
    threshold = int(current_app.config["NOTIFY_LOW_BALANCE_CREDITS"])
    # What is held only adds to the balance, so an account at or above the threshold is
    # passed over before the holds are summed (most runs' end: one cheap lookup).
    credits = db.session.execute(
        _LOW_BALANCE, {"account": account_id, "threshold": threshold, **held_params(account_id)}
    ).scalar_one_or_none()
    if credits is None or credits >= threshold:
        return
    since = utcnow() - timedelta(hours=float(current_app.config["NOTIFY_REPEAT_HOURS"]))
    told = db.session.execute(
        select(Notification.id).where(
            Notification.account_id == account_id,
            Notification.kind == "low_balance",
            Notification.created_at >= since,
        )
    ).first()
    if told is None:
        db.session.add(
            Notification(
                account_id=account_id,
                kind="low_balance",
                message=f"{credits} credits left (told below {threshold})",
            )
        )
