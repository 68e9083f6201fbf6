"""Open run event streams are capped per API token and per account (429 past the cap),
and a stream that ends or is closed gives its place back."""

# ruff: noqa: F811

import threading

from test_background_runs import gated, post, run_engine  # noqa: F401  (fixtures)

from igny8.accounts import issue_token
from igny8.extensions import db
from igny8.models import User


class Stream:
    """A client holding a run's event stream open in a thread of its own (as each
    connection is served in its own thread), until ``close``."""

    def __init__(self, app, headers, run_id):
        self.opened, self.closing = threading.Event(), threading.Event()
        self.status, self.first, self.body = None, b"", None
        self.thread = threading.Thread(target=self._run, args=(app, headers, run_id))
        self.thread.start()
        assert self.opened.wait(10)

    def _run(self, app, headers, run_id):
        answer = app.test_client().get(
            f"/api/v1/runs/{run_id}/events", headers=headers, buffered=False
        )
        self.status = answer.status_code
        if self.status == 200:
            self.first = next(answer.response)
        else:
            self.body = answer.json
        self.opened.set()
        self.closing.wait(30)
        answer.close()  # the client goes away

    def close(self):
        self.closing.set()
        self.thread.join(10)


def test_event_streams_are_capped_per_token_and_per_account(gated):
    app, gate, tenant = gated
    app.config.update(EVENT_STREAMS_PER_TOKEN=2, EVENT_STREAMS_PER_ACCOUNT=3)
    run_id = post(app, tenant, ["a"]).json["run"]["id"]
    first, second = Stream(app, tenant.headers, run_id), Stream(app, tenant.headers, run_id)
    assert first.status == second.status == 200
    assert first.first.startswith(b"event: progress")
    third = Stream(app, tenant.headers, run_id)
    assert third.status == 429 and "API token" in third.body["error"]["message"]
    first.close()  # its place is given back
    again = Stream(app, tenant.headers, run_id)
    assert again.status == 200
    # Another token of the same account: the account's cap (3) is reached at its second.
    with app.app_context():
        other = issue_token(db.session.get(User, tenant.user_id), name="second")
        db.session.commit()
    other_headers = {"Authorization": f"Bearer {other}"}
    opened = Stream(app, other_headers, run_id)
    assert opened.status == 200
    refused = Stream(app, other_headers, run_id)
    assert refused.status == 429 and "account" in refused.body["error"]["message"]
    for stream in (second, third, again, opened, refused):
        stream.close()
    gate.gate.set()
    last = Stream(app, tenant.headers, run_id)
    last.close()
    assert last.status == 200  # every place was given back
