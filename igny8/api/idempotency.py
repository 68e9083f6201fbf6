"""Idempotency-Key on every write under /api/v1: a retry of the same request gets the
first answer, whatever the view would compute now.

The key is claimed before the view runs (one row per account and key); the answer is
stored when it is sent and replayed, with ``Idempotent-Replayed: true``, to any later
request with the same key and the same fingerprint: method, route, path parameters and
canonical JSON body. The same key with a different request is a 409. A duplicate that
arrives while the first is still running waits for its answer (IDEMPOTENCY_WAIT_SECONDS),
never answering with an unfinished run. A request that fails with a server error gives
its key back, so it can be retried. A request that queued an AI run is answered, on a
retry, with that run as it is at that moment (202 while it runs, its results once done).
"""

import hashlib
import json
import time

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotentRequest, OperationRun
from .auth import API_PREFIX
from .errors import ApiError

HEADER = "Idempotency-Key"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
POLL_SECONDS = 0.1


def fingerprint() -> str:
    """sha256 of the request as the client sent it: method, route, path parameters, body."""
    body = request.get_json(silent=True) if request.data else None
    if body is None and request.data:  # not JSON: fingerprinted as its text
        body = request.get_data(as_text=True)
    canonical = json.dumps(
        {
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else request.path,
            "path": request.view_args or {},
            "body": body,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key() -> str | None:
    if request.method not in WRITES or not request.path.startswith(API_PREFIX + "/"):
        return None
    key = request.headers.get(HEADER)
    if key is None or g.get("account") is None:
        return None
    key = key.strip()
    if not (0 < len(key) <= 200):
        raise ApiError(400, f"{HEADER} must be 1 to 200 characters")
    return key


def _replay(row: IdempotentRequest) -> Response:
    if row.run_id is not None:  # the same run, as it is now (running, or finished since)
        from .runs import run_response

        response = run_response(db.session.get(OperationRun, row.run_id))
    else:
        response = Response(row.body, status=row.status_code, content_type=row.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def claim_or_replay():
    """Before the view: claim the key, or answer with the stored response."""
    key = _key()
    if key is None:
        return None
    account_id, mine = g.account.id, fingerprint()
    deadline = time.monotonic() + float(current_app.config["IDEMPOTENCY_WAIT_SECONDS"])
    while True:
        row = db.session.execute(
            select(IdempotentRequest).where(_claimed(key))
        ).scalar_one_or_none()
        if row is None:
            db.session.add(IdempotentRequest(account_id=account_id, key=key, fingerprint=mine))
            try:
                db.session.commit()
            except IntegrityError:  # claimed by a duplicate at the same moment: wait for it
                db.session.rollback()
                continue
            g.idempotency_key = key
            return None
        if row.fingerprint != mine:
            raise ApiError(409, f"this {HEADER} was already used for a different request")
        if row.state == "done":
            return _replay(row)
        if time.monotonic() >= deadline:
            raise ApiError(
                409, f"the request with this {HEADER} is still running; retry to get its answer"
            )
        db.session.rollback()  # end the transaction: the next read sees the other's commit
        time.sleep(POLL_SECONDS)


def store(response: Response) -> Response:
    """After the view: keep the answer for replays (a server error frees the key instead)."""
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    if response.status_code >= 500:
        _free(key)
        return response
    db.session.rollback()  # nothing half-done of the view's may ride along
    row = db.session.execute(select(IdempotentRequest).where(_claimed(key))).scalar_one()
    row.state, row.status_code = "done", response.status_code
    row.content_type, row.body = response.content_type, response.get_data(as_text=True)
    row.run_id = g.pop("answered_by_run", None)
    db.session.commit()
    return response


def release(error=None) -> None:
    """When the request ended in an exception no response was made from: free the key."""
    key = g.pop("idempotency_key", None)
    if key is not None:
        _free(key)


def _claimed(key: str):
    return (IdempotentRequest.account_id == g.account.id) & (IdempotentRequest.key == key)


def _free(key: str) -> None:
    """Give the key back (the request it was claimed for did not finish)."""
    db.session.rollback()
    db.session.execute(delete(IdempotentRequest).where(_claimed(key)))
    db.session.commit()
