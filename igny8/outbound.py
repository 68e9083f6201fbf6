"""Outbound HTTP to addresses a tenant chose (publishing targets): public internet only.

A tenant's webhook or WordPress URL must not make the server call inside its own network.
Every request (each redirect included) resolves the host, refuses it when any address it
resolves to is loopback, private, link-local, multicast, reserved or otherwise not global,
and connects to the address it vetted (so a second DNS answer cannot swap in another).
The operator allows hosts or networks with OUTBOUND_ALLOW_HOSTS (tests and local demos
allow 127.0.0.1). docs/security.md.
"""

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx
from flask import current_app

MAX_REDIRECTS = 5
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(httpx.TransportError):
    """The target is not a public address, and the operator has not allowed it."""


def is_public(ip: Address) -> bool:
    """Whether an address is on the public internet (an IPv4 address inside IPv6 counts as
    the IPv4 address it carries)."""
    mapped = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    if mapped is not None:
        return is_public(mapped)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


class Allowed:
    """The operator's allow-list: host names (exact, any case), addresses and networks,
    as a list or one comma-separated string."""

    def __init__(self, entries: Iterable[str] | str = ()):
        if isinstance(entries, str):
            entries = entries.split(",")
        self.names, self.networks = set(), []
        for entry in entries:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.add(entry.rstrip("."))

    def name(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.names

    def address(self, ip: Address) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


_NUMERIC_HOST = re.compile(r"[0-9a-fA-FxX.]+")


def _literal(host: str) -> Address | None:
    """The address a host that is a number stands for, read as the resolver reads it:
    besides dotted quads and IPv6, every IPv4 form inet_aton takes (127.1, 0177.0.0.1,
    2130706433, 0x7f000001, 017700000001, 0)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


NOT_PUBLIC = (
    "points at a loopback, private, link-local, multicast or reserved address; "
    "publishing only reaches public hosts"
)


def configured() -> Allowed:
    """The app's allow-list (OUTBOUND_ALLOW_HOSTS)."""
    return Allowed(current_app.config["OUTBOUND_ALLOW_HOSTS"])


def refusal(url: str, allowed: Allowed | None = None) -> str | None:
    """Why a URL given by a tenant cannot be a target, judged without DNS (its host is an
    address that is not public, or a name no DNS answer may make public, like localhost);
    None when it may be. The address is checked again, resolved, when it is used."""
    allowed = allowed if allowed is not None else configured()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return "must be an http or https URL with a host"
    if allowed.name(host):
        return None
    ip = _literal(host)
    if ip is not None and not is_public(ip) and not allowed.address(ip):
        return NOT_PUBLIC
    if ip is None and (host.lower().rstrip(".") == "localhost" or host.endswith(".localhost")):
        return NOT_PUBLIC
    return None


def vet(host: str, port: int, allowed: Allowed, resolve: Callable = socket.getaddrinfo) -> str:
    """The address to connect to for host:port, or BlockedAddress. Every address the name
    resolves to must be public (or allowed): one bad answer refuses the host."""
    if allowed.name(host):
        return host
    literal = _literal(host)
    if literal is not None:
        candidates = [literal]
    else:
        try:
            infos = resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise BlockedAddress(f"could not resolve {host}") from None
        candidates = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not candidates:
        raise BlockedAddress(f"could not resolve {host}")
    for ip in candidates:
        if not (is_public(ip) or allowed.address(ip)):
            raise BlockedAddress(f"{host} {NOT_PUBLIC}")
    return str(candidates[0])


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that vets every request's host (redirects are requests too) and
    connects to the vetted address, keeping the name for the Host header and TLS."""

    def __init__(self, allowed: Allowed, resolve: Callable = socket.getaddrinfo, **kwargs):
        super().__init__(**kwargs)
        self.allowed, self.resolve = allowed, resolve

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise BlockedAddress(f"refused scheme {url.scheme!r}")
        port = url.port or (443 if url.scheme == "https" else 80)
        address = vet(url.host, port, self.allowed, self.resolve)
        if address != url.host:
            request.url = url.copy_with(host=address)
            request.extensions = {**request.extensions, "sni_hostname": url.host}
        return super().handle_request(request)


def client(allow_hosts: Iterable[str] | str | None = None, **kwargs) -> httpx.Client:
    """An httpx.Client for tenant-chosen URLs: public hosts only (plus ``allow_hosts``, by
    default the app's OUTBOUND_ALLOW_HOSTS), redirects followed (each one vetted), at most
    MAX_REDIRECTS of them."""
    allowed = Allowed(allow_hosts) if allow_hosts is not None else configured()
    return httpx.Client(
        transport=GuardedTransport(allowed),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        **kwargs,
    )
