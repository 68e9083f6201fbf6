"""Tenant users sign in through the API as a browser frontend does: an HttpOnly session
cookie, a CSRF token for its writes, sign-out that ends it on the server, password change
and reset by e-mail, invitations, and roles that every endpoint checks."""

import re
from datetime import timedelta
from email import message_from_string, policy

import pytest
from sqlalchemy import update

from igny8 import accounts
from igny8.extensions import db
from igny8.models import ApiToken, User
from igny8.timeutil import utcnow

PASSWORD = "correct horse battery"


@pytest.fixture
def smtp_sink():
    from servers.smtp_server import SMTPSink

    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mailing(app, smtp_sink):
    app.config.update(
        MAIL_SMTP_HOST="127.0.0.1",
        MAIL_SMTP_PORT=smtp_sink.port,
        PASSWORD_LINK_URL="http://localhost:5173/set-password?token={token}",
    )
    return smtp_sink


def with_password(app, tenant, password=PASSWORD, role="owner"):
    with app.app_context():
        user = db.session.get(User, tenant.user_id)
        accounts.set_password(user, password)
        user.role = role
        db.session.commit()
        return user.email


def sign_in(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/sign-in", json={"email": email, "password": password})


def session_cookie(answer) -> str:
    return next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("igny8_session="))


def body_of(message) -> str:
    """The text of a message the SMTP sink took (decoded: long lines are quoted-printable)."""
    return message_from_string(message["data"], policy=policy.default).get_content()


def link_token(message) -> str:
    return re.search(r"token=([\w.\-]+)", body_of(message)).group(1)


def test_sign_in_sets_an_httponly_cookie_whose_writes_need_the_csrf_token(app, tenant):
    email = with_password(app, tenant)
    client = app.test_client()
    answer = sign_in(client, email.upper())  # e-mails compare as lower-case
    assert answer.status_code == 200, answer.json
    cookie = session_cookie(answer)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/v1" in cookie
    assert answer.json["user"]["email"] == email and answer.json["user"]["role"] == "owner"
    assert answer.json["account"]["id"] == tenant.account_id
    csrf = answer.json["csrf_token"]
    token = cookie.split(";")[0].split("=", 1)[1]
    assert token not in str(answer.json)  # the session's token is in the cookie only

    # Reads with the cookie alone; a page reload gets the CSRF token again.
    assert client.get("/api/v1/me").json["user"]["id"] == tenant.user_id
    assert client.get("/api/v1/auth/session").json["csrf_token"] == csrf
    keywords = f"/api/v1/sites/{tenant.site_id}/keywords"
    body = {"keywords": [{"keyword": "signed in"}]}
    refused = client.post(keywords, json=body)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf_failed"
    wrong = client.post(keywords, json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    assert client.post(keywords, json=body, headers={"X-CSRF-Token": csrf}).status_code == 201

    # A session is not an API token: the token list does not show it.
    assert [t["name"] for t in client.get("/api/v1/tokens").json["items"]] == ["api"]

    # Sign-out ends it on the server: the same cookie, sent again, is refused.
    out = client.post("/api/v1/auth/sign-out", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert "Max-Age=0" in session_cookie(out) or "expires=" in session_cookie(out).lower()
    replayed = app.test_client()
    replayed.set_cookie("igny8_session", token, path="/api/v1")
    ended = replayed.get("/api/v1/me")
    assert ended.status_code == 401 and "sign in again" in ended.json["error"]["message"]


def test_wrong_passwords_are_401_then_429_and_a_session_expires(app, tenant):
    email = with_password(app, tenant)
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    for _ in range(2):
        wrong = sign_in(client, email, "not the password")
        assert wrong.status_code == 401
        assert wrong.json["error"]["code"] == "invalid_credentials"
    assert sign_in(client, "nobody@example.test").status_code == 401  # same answer
    blocked = sign_in(client, email)  # the right password, past the limit
    # the minute's window, less what has passed of it on a busy machine
    assert blocked.status_code == 429 and 55 <= int(blocked.headers["Retry-After"]) <= 60

    app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    assert sign_in(client, email).status_code == 200
    with app.app_context():
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.kind == "session")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_a_session_cookie_cannot_be_an_api_token_or_the_reverse(app, client, tenant):
    # An API token put in the cookie is refused: cookie writes are CSRF-checked sessions.
    client.set_cookie("igny8_session", tenant.token, path="/api/v1")
    assert client.get("/api/v1/me").status_code == 401
    # A bearer token's writes need no CSRF token (no browser sends it by itself).
    answer = client.post(
        f"/api/v1/sites/{tenant.site_id}/keywords",
        json={"keywords": [{"keyword": "bearer"}]},
        headers=tenant.headers,
    )
    assert answer.status_code == 201
    not_a_session = client.post("/api/v1/auth/sign-out", headers=tenant.headers)
    assert not_a_session.status_code == 400


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, tenant):
    email = with_password(app, tenant)
    here, elsewhere = app.test_client(), app.test_client()
    csrf = sign_in(here, email).json["csrf_token"]
    assert sign_in(elsewhere, email).status_code == 200
    wrong = here.post(
        "/api/v1/auth/password",
        json={"current_password": "nope", "new_password": "a new password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status_code == 422
    assert wrong.json["error"]["details"]["fields"] == {
        "current_password": ["is not the current password"]
    }
    short = here.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers={"X-CSRF-Token": csrf},
    )
    assert short.status_code == 422 and "new_password" in short.json["error"]["details"]["fields"]
    changed = here.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a new password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 204
    assert here.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert sign_in(app.test_client(), email).status_code == 401
    assert sign_in(app.test_client(), email, "a new password").status_code == 200


def test_a_password_is_reset_by_an_emailed_link_that_works_once(app, tenant, mailing):
    email = with_password(app, tenant)
    client = app.test_client()
    signed_in = app.test_client()
    assert sign_in(signed_in, email).status_code == 200
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "who@example.test"})
    asked = client.post("/api/v1/auth/password-reset", json={"email": email})
    assert unknown.status_code == asked.status_code == 202
    assert unknown.json == asked.json  # nothing says whether the address is a user's
    [message] = mailing.messages
    assert email in message["to"][0] and "Reset your igny8 password" in message["data"]
    assert "http://localhost:5173/set-password?token=" in body_of(message)
    token = link_token(message)

    done = client.post(
        "/api/v1/auth/set-password", json={"token": token, "password": "reset pass 1"}
    )
    assert done.status_code == 204
    assert signed_in.get("/api/v1/me").status_code == 401  # every session ended
    assert sign_in(client, email, "reset pass 1").status_code == 200
    again = client.post(
        "/api/v1/auth/set-password", json={"token": token, "password": "reset pass 2"}
    )
    assert again.status_code == 422 and "token" in again.json["error"]["details"]["fields"]
    forged = client.post(
        "/api/v1/auth/set-password", json={"token": token[:-2] + "xx", "password": "reset pass 3"}
    )
    assert forged.status_code == 422


def test_an_owner_invites_users_with_roles_and_each_role_is_held_to_its_powers(
    app, tenant, mailing
):
    owner_email = with_password(app, tenant)
    owner = app.test_client()
    owner_csrf = sign_in(owner, owner_email).json["csrf_token"]
    as_owner = {"X-CSRF-Token": owner_csrf}

    members = {}
    for role in ("editor", "viewer"):
        email = f"{role}-{tenant.account_id}@example.test"
        invited = owner.post("/api/v1/users", json={"email": email, "role": role}, headers=as_owner)
        assert invited.status_code == 201, invited.json
        assert invited.json["status"] == "invited" and invited.json["invitation_sent"] is True
        token = link_token(mailing.messages[-1])
        assert "Subject: You are invited to" in mailing.messages[-1]["data"]
        assert sign_in(app.test_client(), email, "anything at all").status_code == 401
        accepted = app.test_client().post(
            "/api/v1/auth/set-password", json={"token": token, "password": f"{role} password"}
        )
        assert accepted.status_code == 204
        client = app.test_client()
        answer = sign_in(client, email, f"{role} password")
        assert answer.json["user"]["role"] == role
        members[role] = (client, {"X-CSRF-Token": answer.json["csrf_token"]}, invited.json["id"])

    listed = owner.get("/api/v1/users").json
    assert [(u["role"], u["status"]) for u in listed["items"]] == [
        ("owner", "active"),
        ("editor", "active"),
        ("viewer", "active"),
    ]
    dup = owner.post(
        "/api/v1/users", json={"email": owner_email, "role": "viewer"}, headers=as_owner
    )
    assert dup.status_code == 409

    keywords = f"/api/v1/sites/{tenant.site_id}/keywords"
    body = {"keywords": [{"keyword": "by role"}]}
    viewer, as_viewer, viewer_id = members["viewer"]
    editor, as_editor, editor_id = members["editor"]
    assert viewer.get(keywords).status_code == 200
    assert viewer.get("/api/v1/credits").status_code == 200
    refused = viewer.post(keywords, json=body, headers=as_viewer)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "role_required"
    assert refused.json["error"]["details"] == {"needed": "editor", "role": "viewer"}
    assert editor.post(keywords, json=body, headers=as_editor).status_code == 201
    for client, headers in ((editor, as_editor), (viewer, as_viewer)):
        assert client.get("/api/v1/tokens").status_code == 403
        assert client.post("/api/v1/tokens", json={"name": "x"}, headers=headers).status_code == 403
        assert (
            client.put("/api/v1/settings/integration", json={}, headers=headers).status_code == 403
        )
        assert (
            client.post(
                "/api/v1/users", json={"email": "x@example.test", "role": "owner"}, headers=headers
            ).status_code
            == 403
        )
    # Every role may sign itself out and change its own password.
    assert (
        viewer.post(
            "/api/v1/auth/password",
            json={"current_password": "viewer password", "new_password": "viewer password 2"},
            headers=as_viewer,
        ).status_code
        == 204
    )

    # Roles change; the last owner cannot be demoted or removed.
    promoted = owner.patch(f"/api/v1/users/{editor_id}", json={"role": "owner"}, headers=as_owner)
    assert promoted.status_code == 200 and promoted.json["role"] == "owner"
    assert editor.get("/api/v1/tokens").status_code == 200  # at once, same session
    demoted = editor.patch(
        f"/api/v1/users/{tenant.user_id}", json={"role": "viewer"}, headers=as_editor
    )
    assert demoted.status_code == 200
    last = editor.patch(f"/api/v1/users/{editor_id}", json={"role": "editor"}, headers=as_editor)
    assert last.status_code == 409
    assert editor.delete(f"/api/v1/users/{editor_id}", headers=as_editor).status_code == 409
    bad_role = editor.patch(f"/api/v1/users/{viewer_id}", json={"role": "god"}, headers=as_editor)
    assert bad_role.status_code == 422

    # A removed user's sessions and API tokens stop at once.
    with app.app_context():
        viewer_token = accounts.issue_token(db.session.get(User, viewer_id))
        db.session.commit()
    removed = editor.delete(f"/api/v1/users/{viewer_id}", headers=as_editor)
    assert removed.status_code == 204
    assert viewer.get("/api/v1/me").status_code == 401
    gone = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {viewer_token}"})
    assert gone.status_code == 401
    assert [u["id"] for u in editor.get("/api/v1/users").json["items"]] == [
        tenant.user_id,
        editor_id,
    ]


def test_another_accounts_users_cannot_be_seen_changed_or_invited_away(app, tenant, make_tenant):
    other = make_tenant()
    with_password(app, tenant)
    with app.app_context():
        other_email = db.session.get(User, other.user_id).email
    headers = tenant.headers
    client = app.test_client()
    assert other.user_id not in [
        u["id"] for u in client.get("/api/v1/users", headers=headers).json["items"]
    ]
    assert (
        client.patch(
            f"/api/v1/users/{other.user_id}", json={"role": "viewer"}, headers=headers
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/users/{other.user_id}", headers=headers).status_code == 404
    taken = client.post(
        "/api/v1/users", json={"email": other_email, "role": "editor"}, headers=headers
    )
    assert taken.status_code == 409
    with app.app_context():
        assert db.session.get(User, other.user_id).account_id == other.account_id
