"""The account's notifications (igny8.notifications): listed newest first, unread ones
alone with ?unread=true, and marked read, one or all."""

from flask import jsonify
from marshmallow import fields
from sqlalchemy import update

from ..extensions import db
from ..models import Notification
from ..timeutil import utcnow
from . import serialize
from .auth import current_account, role
from .pagination import paginate
from .schemas import Strict, page_field, per_page_field
from .scoping import get_owned, owned
from .shapes import NotificationOut, ReadOut, page_of
from .validation import documented


class NotificationQuery(Strict):
    page = page_field()
    per_page = per_page_field()
    unread = fields.Boolean()


def notification_json(n):
    return {
        "id": n.id,
        "kind": n.kind,
        "message": n.message,
        "run_id": n.run_id,
        "created_at": serialize.timestamp(n.created_at),
        "read_at": serialize.timestamp(n.read_at),
    }


def register(bp):
    @bp.get("/notifications")
    @documented(
        "The account's notifications, newest first (low balance, failed and partial runs)",
        tags=["account"],
        query=NotificationQuery,
        response=page_of(NotificationOut),
    )
    def list_notifications(args):
        query = owned(Notification).order_by(Notification.id.desc())
        if args.get("unread"):
            query = query.where(Notification.read_at.is_(None))
        return jsonify(paginate(query, notification_json))

    @bp.post("/notifications/<int:notification_id>/read")
    @role("viewer")
    @documented("Mark a notification read", tags=["account"], response=NotificationOut)
    def read_notification(notification_id):
        row = get_owned(Notification, notification_id)
        row.read_at = row.read_at or utcnow()
        db.session.commit()
        return jsonify(notification_json(row))

    @bp.post("/notifications/read")
    @role("viewer")
    @documented("Mark every notification of the account read", tags=["account"], response=ReadOut)
    def read_all_notifications():
        done = db.session.execute(
            update(Notification)
            .where(Notification.account_id == current_account().id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return jsonify({"read": done.rowcount})
