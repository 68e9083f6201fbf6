"""Slow and idle clients against `make serve`'s web process (gunicorn's asyncio worker,
asgi.py): connections that never finish their headers, or send nothing, hold no thread,
so everyone else is still served. Bounded in time; 127.0.0.1 only."""

import http.client
import json
import socket
import threading
import time

from fault_support import asgi_web, get

from igny8.extensions import db
from igny8.models import OperationRun
from igny8.runs.signals import announce
from igny8.timeutil import utcnow


def test_slow_and_idle_connections_do_not_starve_the_web_process(shared, tmp_path):
    stop = threading.Event()
    sockets = []
    # Four app threads: far fewer than the slow connections below.
    with asgi_web(shared, tmp_path, threads=4) as port:
        try:

            def trickle():  # headers, a line every second, never finished
                s = socket.create_connection(("127.0.0.1", port))
                sockets.append(s)
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                while not stop.wait(1.0):
                    try:
                        s.sendall(b"X-Slow: yes\r\n")
                    except OSError:
                        return

            for _ in range(24):
                threading.Thread(target=trickle, daemon=True).start()
            for _ in range(24):  # connected, silent
                sockets.append(socket.create_connection(("127.0.0.1", port)))
            time.sleep(6)  # past the threaded worker's 5 s wait for a silent client
            for _ in range(5):
                status, took = get(port, "/api/v1/health")
                assert status == 200 and took < 2.0, took
        finally:
            stop.set()
            for s in sockets:
                s.close()


def a_running_run(app, tenant) -> int:
    """A run that shows as running and that no process executes: its id."""
    with app.app_context():
        run = OperationRun(
            account_id=tenant.account_id,
            operation="echo",
            status="running",
            items=1,
            started_at=utcnow(),
            heartbeat_at=utcnow(),
            work=["a"],
        )
        db.session.add(run)
        db.session.commit()
        return run.id


def test_open_event_streams_hold_no_thread_and_end_when_the_run_does(shared, app, tenant, tmp_path):
    """Six streams against two app threads: everyone else is still served, and each
    stream gets its run's end (woken by NOTIFY on PostgreSQL, by looking on SQLite)."""
    run_id = a_running_run(app, tenant)  # nobody executes it: the test ends it below
    streams = []
    with asgi_web(shared, tmp_path, threads=2) as port:
        for _ in range(6):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/api/v1/runs/{run_id}/events", headers=tenant.headers)
            answer = conn.getresponse()
            assert answer.status == 200
            assert answer.readline().startswith(b"event: progress")
            answer.readline(), answer.readline()  # its data line and the blank line
            streams.append((conn, answer))
        for _ in range(3):  # six streams open, two app threads: still served at once
            status, took = get(port, "/api/v1/health")
            assert status == 200 and took < 2.0, took
        other = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        other.request(
            "GET", f"/api/v1/runs/{run_id}/events", headers={"Authorization": "Bearer nope"}
        )
        refused = other.getresponse()
        assert refused.status == 401 and b"unauthorized" in refused.read()  # the JSON envelope
        with app.app_context():
            db.session.get(OperationRun, run_id).status = "succeeded"
            announce(db.session, run_id)
            db.session.commit()
        for conn, answer in streams:
            lines = [answer.readline() for _ in range(2)]
            assert lines[0] == b"event: done\n", lines
            assert b'"status": "succeeded"' in lines[1]
            conn.close()


def test_a_browsers_eventsource_streams_with_the_session_cookie_from_another_origin(
    shared, app, tenant, tmp_path
):
    """What `new EventSource(url, {withCredentials: true})` on http://localhost:5173 sends:
    the session cookie and an Origin, no Authorization header. The stream, served in the
    event loop, answers with the CORS headers a browser needs to read it."""
    from test_sign_in import with_password

    origin = "http://localhost:5173"
    email = with_password(app, tenant)
    run_id = a_running_run(app, tenant)
    with asgi_web(shared, tmp_path, threads=2, IGNY8_CORS_ORIGINS=origin) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = json.dumps({"email": email, "password": "correct horse battery"})
        conn.request(
            "POST",
            "/api/v1/auth/sign-in",
            body=body,
            headers={"Content-Type": "application/json", "Origin": origin},
        )
        signed_in = conn.getresponse()
        signed_in.read()
        assert signed_in.status == 200
        assert signed_in.getheader("Access-Control-Allow-Credentials") == "true"
        cookie = signed_in.getheader("Set-Cookie").split(";")[0]
        conn.close()

        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        stream.request(
            "GET",
            f"/api/v1/runs/{run_id}/events",
            headers={"Cookie": cookie, "Origin": origin, "Accept": "text/event-stream"},
        )
        answer = stream.getresponse()
        assert answer.status == 200
        assert answer.getheader("Content-Type").startswith("text/event-stream")
        assert answer.getheader("Access-Control-Allow-Origin") == origin
        assert answer.getheader("Access-Control-Allow-Credentials") == "true"
        assert answer.readline().startswith(b"event: progress")
        stream.close()

        account = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        account.request("GET", "/api/v1/events", headers={"Cookie": cookie, "Origin": origin})
        events = account.getresponse()
        assert events.status == 200
        assert events.getheader("Access-Control-Allow-Origin") == origin
        assert events.readline() == b": connected\n" and events.readline() == b"\n"
        assert events.readline() == b"event: run\n"  # the running run, at once
        assert f'"id": {run_id}'.encode() in events.readline()
        account.close()

        anonymous = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        anonymous.request("GET", f"/api/v1/runs/{run_id}/events", headers={"Origin": origin})
        refused = anonymous.getresponse()
        assert refused.status == 401
        assert refused.getheader("Access-Control-Allow-Origin") == origin  # readable error
    with app.app_context():
        db.session.get(OperationRun, run_id).status = "succeeded"
        db.session.commit()


def raw_request(port, head: bytes) -> tuple[int, str, bytes]:
    """Send ``head`` as is; the status, the Content-Type and the body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        answer = http.client.HTTPResponse(s)
        answer.begin()
        return answer.status, answer.getheader("Content-Type", ""), answer.read()


def test_over_long_request_lines_and_headers_get_the_json_envelope(shared, tmp_path):
    # gunicorn's own answer to these is plain text; deploy/gunicorn.conf.py lets the app's
    # lower limits answer first.
    with asgi_web(shared, tmp_path, threads=2) as port:
        line = b"GET /api/v1/health?q=" + b"x" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        status, kind, body = raw_request(port, line)
        assert (status, kind) == (414, "application/problem+json"), body
        assert json.loads(body)["error"]["code"] == "uri_too_long"
        header = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n"
        status, kind, body = raw_request(port, header)
        assert (status, kind) == (431, "application/problem+json"), body
        assert json.loads(body)["error"]["code"] == "header_too_large"
        # Just under the limits, the same requests are served.
        fits = b"GET /api/v1/health?q=" + b"x" * 4000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        assert raw_request(port, fits)[0] == 200
