"""Publishing reaches public hosts only: no loopback, private, link-local, multicast or
reserved address, after DNS and on every redirect, unless the operator allows it."""

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from content_support import Api, use_offline

from igny8 import outbound
from igny8.extensions import db
from igny8.models import Site

NOT_PUBLIC = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",  # IPv4 inside IPv6
    "::ffff:169.254.169.254",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "ff02::1",
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_addresses_that_are_not_public(address):
    assert not outbound.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses(address):
    assert outbound.is_public(ipaddress.ip_address(address))


def resolver(answers: dict):
    """A getaddrinfo that answers from a table (no DNS is reached in tests)."""

    def resolve(host, port, type=0):
        if host not in answers:
            raise socket.gaierror("no such host")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port))
            for a in answers[host]
        ]

    return resolve


def test_a_name_is_judged_by_every_address_it_resolves_to():
    allowed = outbound.Allowed()
    resolve = resolver(
        {
            "public.test": ["93.184.215.14"],
            "rebound.test": ["93.184.215.14", "10.1.2.3"],
            "metadata.test": ["169.254.169.254"],
        }
    )
    assert outbound.vet("public.test", 443, allowed, resolve) == "93.184.215.14"
    for host in ("rebound.test", "metadata.test", "nowhere.test"):
        with pytest.raises(outbound.BlockedAddress):
            outbound.vet(host, 443, allowed, resolve)


def test_the_operator_allows_names_addresses_and_networks():
    allowed = outbound.Allowed("wp.internal, 127.0.0.1,10.20.0.0/16")
    resolve = resolver({"wp.internal": ["10.9.9.9"], "app.test": ["10.20.3.4"]})
    assert outbound.vet("wp.internal", 80, allowed, resolve) == "wp.internal"
    assert outbound.vet("app.test", 80, allowed, resolve) == "10.20.3.4"
    assert outbound.vet("127.0.0.1", 80, allowed, resolve) == "127.0.0.1"
    with pytest.raises(outbound.BlockedAddress):
        outbound.vet("127.0.0.2", 80, allowed, resolve)


def test_a_decimal_address_is_resolved_then_refused():
    # http://2130706433/ is 127.0.0.1 to the system resolver
    with pytest.raises(outbound.BlockedAddress):
        outbound.vet("2130706433", 80, outbound.Allowed())


@pytest.fixture
def redirector():
    """A local server answering every request with a redirect to ?to=..., counting hits."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            target = self.path.split("?to=", 1)[1] if "?to=" in self.path else None
            if target:
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                body = b'{"id": 1}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    server.hits = hits
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()


def test_every_redirect_is_vetted(redirector):
    with outbound.client("127.0.0.1", timeout=5) as client:
        # allowed hop to allowed hop: followed
        final = client.get(f"{redirector.url}/a?to={redirector.url}/b")
        assert final.status_code == 200 and final.json() == {"id": 1}
        for inside in (
            "http://169.254.169.254/latest/meta-data/",
            "http://10.255.255.1/",
            "http://[::1]/",
        ):
            with pytest.raises(outbound.BlockedAddress):
                client.get(f"{redirector.url}/c?to={inside}")
    assert redirector.hits == ["/a?to=" + f"{redirector.url}/b", "/b"] + [
        f"/c?to={inside}"
        for inside in (
            "http://169.254.169.254/latest/meta-data/",
            "http://10.255.255.1/",
            "http://[::1]/",
        )
    ]


def test_without_the_allow_list_loopback_is_refused_before_connecting(redirector):
    with outbound.client((), timeout=5) as client, pytest.raises(outbound.BlockedAddress):
        client.get(redirector.url)
    assert redirector.hits == []


def test_the_vetted_address_is_dialled_with_the_name_kept_for_host_and_tls(monkeypatch):
    seen = {}

    def dial(self, request):  # in place of the network: what would have been sent
        seen.update(url=str(request.url), host=request.headers["host"])
        seen["sni"] = request.extensions.get("sni_hostname")
        return httpx.Response(200, json={})

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", dial)
    transport = outbound.GuardedTransport(
        outbound.Allowed(), resolve=resolver({"public.test": ["93.184.215.14"]})
    )
    httpx.Client(transport=transport).get("https://public.test/hook")
    assert seen == {
        "url": "https://93.184.215.14/hook",
        "host": "public.test",
        "sni": "public.test",
    }


@pytest.fixture
def strict_api(app, tenant_factory_for):
    """An app with no allow-list, as in production (read per request, as the operator's
    edit of it would be after a restart)."""
    app.config["OUTBOUND_ALLOW_HOSTS"] = ""
    use_offline(app)
    return app, Api(app.test_client(), tenant_factory_for(app))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://10.0.0.1/",
        "http://localhost:5000/",
        "http://api.localhost/",
        # Every numeric IPv4 form the resolver reads (inet_aton), refused when saved:
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://0/",
        "http://0xa9fea9fe/latest/meta-data/",  # 169.254.169.254
    ],
)
def test_a_site_cannot_point_publishing_inside(strict_api, url):
    _, api = strict_api
    for field in ("webhook_url", "wp_url"):
        error = api("patch", "/api/v1/sites/{site}", {field: url}, 422)
        assert "publishing only reaches public hosts" in str(error)


def test_a_public_address_in_a_numeric_form_may_be_saved(strict_api):
    _, api = strict_api
    site = api("patch", "/api/v1/sites/{site}", {"webhook_url": "http://134744072/hook"}, 200)
    assert site["webhook_url"] == "http://134744072/hook"  # 8.8.8.8, public


def test_a_target_that_resolves_inside_later_is_refused_at_publish(strict_api, webhook_server):
    app, api = strict_api
    content_id = api.journey_to_content(n_tasks=1)[0]
    with app.app_context():  # a name whose DNS answer changed after it was saved
        site = db.session.get(Site, api.tenant.site_id)
        site.webhook_url = f"http://2130706433:{webhook_server.port}/hooks/igny8"
        db.session.commit()
    # Every item failed at the target: 502, the run in the problem's details.
    run = api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 502)[
        "error"
    ]["details"]
    error = run["results"][0]["error"]
    assert error["code"] == "publish_failed" and error["message"].startswith("refused:")
    assert webhook_server.requests == []


def test_errors_carry_the_status_code_never_the_remote_body(app, client, tenant, webhook_server):
    use_offline(app)
    api = Api(client, tenant)
    content_id = api.journey_to_content(n_tasks=1)[0]
    api("patch", "/api/v1/sites/{site}", {"webhook_url": webhook_server.url + "/hooks/igny8"}, 200)
    webhook_server.script = ["server_error"]
    # Every item failed at the target: 502, the run in the problem's details.
    run = api("post", "/api/v1/sites/{site}/content/publish", {"content_ids": [content_id]}, 502)[
        "error"
    ]["details"]
    message = run["results"][0]["error"]["message"]
    assert message == "the webhook failed with HTTP 500"
    assert "down" not in message  # the body was {"error": "down"}
