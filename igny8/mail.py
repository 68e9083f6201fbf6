"""E-mail through the configured SMTP server (MAIL_SMTP_HOST, MAIL_SMTP_PORT, MAIL_FROM):
account e-mail (password resets, invitations) and alerts. A failure is logged and
reported to the caller, never raised: an e-mail that cannot go does not fail a request."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def send(to: str, subject: str, body: str, sender=None, host=None, port=None) -> bool:
    """Deliver one plain-text message; whether the server took it. ``sender``, ``host``
    and ``port`` default to MAIL_FROM, MAIL_SMTP_HOST and MAIL_SMTP_PORT."""
    config = current_app.config
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = sender or config["MAIL_FROM"]
    mail["To"] = to
    mail.set_content(body)
    host, port = host or config["MAIL_SMTP_HOST"], int(port or config["MAIL_SMTP_PORT"])
    try:
        with smtplib.SMTP(host, port, timeout=5) as smtp:
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("e-mail %r could not be sent: %s", subject, type(exc).__name__)
        return False
    return True
