"""Every admin write lands in the admin audit log: who, when, what, before and after.

An admin request marks its session (``watch``); a ``before_flush`` listener then records
each row the request creates, changes or deletes, in the same transaction as the change,
so a write and its trail commit or fail together. Whatever writes (a form, a bulk
action, the credits form, a plugin's view), nothing escapes it.
"""

from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..crypto import EncryptedString
from ..extensions import db
from ..models import AdminAuditLog, CreditTransaction, ModelPrice, UsageCostRevision
from . import security
from .base import SECRET_COLUMNS

WATCH_KEY = "igny8_admin_audit"
ACTION_KEY = "igny8_admin_action"
PENDING_KEY = "igny8_admin_audit_pending"
MASK = "(secret)"
# Written as a consequence of what is recorded: the ledger is its own trail (and the
# account's balance change is recorded), price rows follow a model's price change.
NOT_RECORDED = (AdminAuditLog, CreditTransaction, ModelPrice, UsageCostRevision)


def watch_admin_requests():
    """before_request: an admin's request under /admin is recorded (after the gate)."""
    if request.path.startswith("/admin") and security.is_admin():
        watch(db.session())


def unwatch(_exc=None):
    """teardown_request: a session reused after the request records nothing more."""
    session = db.session()
    for key in (WATCH_KEY, ACTION_KEY, PENDING_KEY):
        session.info.pop(key, None)


def watch(session, action: str | None = None) -> None:
    """Record this session's writes as the signed-in admin's; ``action`` names them."""
    session.info[WATCH_KEY] = True
    if action:
        session.info[ACTION_KEY] = action


def record(action: str, target: str, target_id, summary: str, before=None, after=None) -> None:
    """An entry for a write the ORM does not see (the ledger's balance updates)."""
    user_id, email = _who()
    db.session.add(
        AdminAuditLog(
            user_id=user_id,
            user_email=email,
            action=action,
            target=target,
            target_id=str(target_id),
            summary=summary[:300],
            before=before,
            after=after,
        )
    )


def _plain(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"({len(value)} bytes)"
    return value


def _secret(column) -> bool:
    return column.key in SECRET_COLUMNS or isinstance(column.type, EncryptedString)


def _values(obj, keys=None) -> dict:
    mapper = inspect(obj).mapper
    return {
        c.key: MASK if _secret(c) else _plain(getattr(obj, c.key))
        for c in mapper.columns
        if keys is None or c.key in keys
    }


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for column in state.mapper.columns:
        history = state.attrs[column.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        secret = _secret(column)
        before[column.key] = MASK if secret and old is not None else _plain(old)
        after[column.key] = MASK if secret and new is not None else _plain(new)
    return before, after


def _who():
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.email
    return None, None


# What names a row for a person, for models without a __str__ of their own.
NAMING_ATTRIBUTES = ("name", "model_name", "key", "email", "title", "operation", "provider")


def _name_of(obj) -> str:
    """How a person would call ``obj``: its own str(), else its name, key, email...
    (never SQLAlchemy's ``<Prompt (pending 139736493653328)>``); empty if nothing fits."""
    if type(obj).__str__ is not object.__str__:
        return str(obj)
    for attribute in NAMING_ATTRIBUTES:
        value = getattr(obj, attribute, None)
        if value:
            return str(value)
    return ""


def _entry(session, action, obj, before, after) -> AdminAuditLog:
    user_id, email = _who()
    identity = inspect(obj).identity
    target = obj.__tablename__
    target_id = str(identity[0]) if identity else None
    name = _name_of(obj) if not isinstance(obj, AdminAuditLog) else target
    action = session.info.get(ACTION_KEY) or action
    changed = ", ".join(after or before or {}) if action != "delete" else ""
    summary = (
        f"{action} {target} {target_id or '(new)'}"
        + (f" {name!r}" if name else "")
        + (f": {changed}" if changed and action != "create" else "")
    )
    return AdminAuditLog(
        user_id=user_id,
        user_email=email,
        action=action,
        target=target,
        target_id=target_id,
        summary=summary[:300],
        before=before or None,
        after=after or None,
    )


@event.listens_for(Session, "before_flush")
def _record(session, _context, _instances):
    if not session.info.get(WATCH_KEY):
        return
    entries = []
    for obj in list(session.new):
        if not isinstance(obj, NOT_RECORDED):
            entries.append(("create", obj, None, _values(obj)))
    for obj in list(session.dirty):
        if isinstance(obj, NOT_RECORDED) or not session.is_modified(obj):
            continue
        before, after = _changes(obj)
        if after:
            entries.append(("update", obj, before, after))
    for obj in list(session.deleted):
        if not isinstance(obj, NOT_RECORDED):
            entries.append(("delete", obj, _values(obj), None))
    for action, obj, before, after in entries:
        entry = _entry(session, action, obj, before, after)
        session.add(entry)
        if action == "create":
            session.info.setdefault(PENDING_KEY, []).append((entry, obj))


@event.listens_for(Session, "after_flush_postexec")
def _name_created_rows(session, _context):
    """A created row has its id only after the flush: its entry names it then (the
    commit flushes the entry again)."""
    for entry, obj in session.info.pop(PENDING_KEY, []):
        key = inspect(obj).mapper.primary_key_from_instance(obj)
        if key and key[0] is not None:
            entry.target_id = str(key[0])
            entry.summary = entry.summary.replace("(new)", entry.target_id, 1)
            if entry.after and "id" in entry.after:
                entry.after = {**entry.after, "id": key[0]}
