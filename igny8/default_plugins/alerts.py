"""Low-balance, error-spike and usage-anomaly alerts, through `igny8_usage_recorded`, to a webhook and/or
by e-mail. Shipped as a default plugin, loaded only when a channel is configured at
start-up (so it costs a metered call nothing otherwise).

Settings (instance config or IGNY8_* environment): ALERT_WEBHOOK_URL (POSTed JSON),
ALERT_EMAIL_TO (comma-separated) with ALERT_SMTP_HOST, ALERT_SMTP_PORT, ALERT_EMAIL_FROM
(by default the MAIL_* server of igny8.mail);
ALERT_LOW_BALANCE_CREDITS (100), ALERT_ERROR_SPIKE_RATE (0.5) over
ALERT_ERROR_SPIKE_MINUTES (10) with at least ALERT_ERROR_SPIKE_MIN_CALLS (10) calls, and
ALERT_REPEAT_MINUTES (60) before the same alert is sent again.

It reads and writes on a connection of its own: a handler's unfinished work in the
session is never committed by an alert.
"""

import logging
import threading
from datetime import timedelta

import httpx
from flask import current_app
from sqlalchemy import bindparam, case, func, insert, select, text, update

from .. import mail
from ..billing.audit import HELD_IN_FLIGHT, held_params
from ..extensions import db
from ..models import Account, AlertLog, CreditUsageLog
from ..plugins import hookimpl
from ..timeutil import utcnow

log = logging.getLogger(__name__)

DEFAULTS = {
    "ALERT_LOW_BALANCE_CREDITS": 100,
    "ALERT_ERROR_SPIKE_RATE": 0.5,
    "ALERT_ERROR_SPIKE_MINUTES": 10,
    "ALERT_ERROR_SPIKE_MIN_CALLS": 10,
    "ALERT_REPEAT_MINUTES": 60,
}


def setting(name, config=None):
    value = (config if config is not None else current_app.config).get(name)
    return DEFAULTS.get(name) if value in (None, "") else value


def channels(config=None) -> list[str]:
    found = []
    if setting("ALERT_WEBHOOK_URL", config):
        found.append("webhook")
    if setting("ALERT_EMAIL_TO", config):
        found.append("email")
    return found


def enabled(config) -> bool:
    """Loaded only with a channel to send to."""
    return bool(channels(config))


def low_balance(conn, usage) -> tuple[str, str] | None:
    # Calls still in flight (a run's parallel items) hold credits they will mostly give
    # back: the balance they leave is what counts, not the dip while they wait. Read in
    # one statement, so that the balance and the holds are of the same moment.
    row = conn.execute(
        select(Account.name, Account.credits + HELD_IN_FLIGHT, Account.is_internal).where(
            Account.id == bindparam("account")
        ),
        {"account": usage.account_id, **held_params(usage.account_id)},
    ).one_or_none()
    if row is None or row.is_internal:
        return None
    name, credits = row[0], row[1]
    threshold = int(setting("ALERT_LOW_BALANCE_CREDITS"))
    if credits >= threshold:
        return None
    return (
        f"low_balance:{usage.account_id}",
        f"account {name!r} has {credits} credits left (alert below {threshold})",
    )


def error_spike(conn, usage) -> tuple[str, str] | None:
    if usage.status != "failed":
        return None
    minutes = int(setting("ALERT_ERROR_SPIKE_MINUTES"))
    log_ = CreditUsageLog
    calls, failed = conn.execute(
        select(func.count(), func.sum(case((log_.status == "failed", 1), else_=0))).where(
            log_.provider == usage.provider,
            log_.created_at >= utcnow() - timedelta(minutes=minutes),
        )
    ).one()
    failed = int(failed or 0)
    rate = failed / calls if calls else 0
    if calls < int(setting("ALERT_ERROR_SPIKE_MIN_CALLS")) or rate < float(
        setting("ALERT_ERROR_SPIKE_RATE")
    ):
        return None
    return (
        f"error_spike:{usage.provider}",
        f"provider {usage.provider}: {failed} of {calls} calls failed in the last "
        f"{minutes} minutes ({rate:.0%}); latest error {usage.error_code}",
    )


# Rows the meter flags when a provider's usage could not be billed as reported
# (igny8.ai.meter): claimed more than a call can use, or refused by the database.
ANOMALIES = {
    "implausible_usage": "claimed more than one call can use, settled at its hold",
    "settlement_error": "could not be stored as reported, settled with a plain row",
}


def usage_anomaly(conn, usage) -> tuple[str, str] | None:
    what = ANOMALIES.get(usage.error_code)
    if what is None:
        return None
    return (
        f"{usage.error_code}:{usage.provider}",
        f"provider {usage.provider}: call {usage.request_id} of account {usage.account_id} "
        f"{what} ({usage.price_note})",
    )


def recently_sent(conn, key: str) -> bool:
    since = utcnow() - timedelta(minutes=int(setting("ALERT_REPEAT_MINUTES")))
    return bool(
        conn.execute(
            select(AlertLog.id).where(AlertLog.key == key, AlertLog.sent_at >= since).limit(1)
        ).first()
    )


def send(kind: str, message: str, where: list[str]) -> bool:
    delivered = True
    if "webhook" in where:
        try:
            response = httpx.post(
                setting("ALERT_WEBHOOK_URL"),
                json={"alert": kind, "message": message, "at": utcnow().isoformat() + "Z"},
                timeout=5.0,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            delivered = False
            log.warning("alert webhook failed: %s", type(exc).__name__)
    if "email" in where:
        delivered &= mail.send(
            setting("ALERT_EMAIL_TO"),
            f"[igny8] {kind.replace('_', ' ')}",
            message,
            sender=setting("ALERT_EMAIL_FROM"),
            host=setting("ALERT_SMTP_HOST"),
            port=setting("ALERT_SMTP_PORT"),
        )
    return delivered


# Calls settle in parallel (a run's items, several runs): deciding that an alert is due
# and recording it is one step at a time, in this process (the lock) and across
# processes (PostgreSQL's advisory lock), so an alert is sent once.
_deciding = threading.Lock()
_ADVISORY = text("SELECT pg_advisory_xact_lock(hashtext('igny8-alerts'))")


@hookimpl
def igny8_usage_recorded(usage_log):
    where = channels()
    if not where:
        return
    for check in (low_balance, error_spike, usage_anomaly):
        with _deciding, db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(_ADVISORY)
            found = check(conn, usage_log)
            if found is None or recently_sent(conn, found[0]):
                continue
            key, message = found
            kind = key.split(":", 1)[0]
            alert_id = conn.execute(
                insert(AlertLog)
                .values(
                    key=key,
                    kind=kind,
                    message=message[:500],
                    channels=",".join(where),
                    delivered=False,
                    sent_at=utcnow(),
                )
                .returning(AlertLog.id)
            ).scalar_one()
        delivered = send(kind, message, where)  # outside the lock: a slow channel holds no one
        if delivered:
            with db.engine.begin() as conn:
                conn.execute(update(AlertLog).where(AlertLog.id == alert_id).values(delivered=True))
