"""Outbound HTTP that cannot be pointed at the server's own network (SSRF defence for webhooks).

``check_webhook_url`` refuses bad URLs when an endpoint is added: https only (unless private targets are
allowed), no credentials, no literal private/loopback/link-local/multicast/reserved address. ``guarded_client``
builds an httpx client whose every TCP connection resolves the host itself, refuses the connection when any
address the name resolves to is not public (IPv4, IPv6, IPv4-mapped, 6to4, Teredo and NAT64 forms included),
and connects to the very address it checked, so a DNS answer that changes between check and use (rebinding)
cannot slip through. The client follows no redirects and ignores proxy settings from the environment.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Resolves (host, port) to IP address strings; injectable for tests."""

MAX_URL_LENGTH = 2048
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class InvalidWebhookUrl(ValueError):
    """A webhook URL the server will not deliver to."""


class UnsafeWebhookTarget(httpx.TransportError):
    """A connection refused because the host resolves to an address that is not public."""


def refusal(ip: Address) -> str | None:
    """Why an address may not be a webhook target, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # the IPv4 address itself, in IPv6 form
            reason = refusal(ip.ipv4_mapped)
            return None if reason is None else f"{reason} (as {ip})"
        embedded: list[ipaddress.IPv4Address] = []
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if ip in NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for inner in embedded:
            reason = refusal(inner)
            if reason is not None:
                return f"{reason} (embedded in {ip})"
    for attribute, label in (("is_loopback", "loopback"), ("is_link_local", "link-local"),
                             ("is_multicast", "multicast"), ("is_unspecified", "unspecified"),
                             ("is_private", "private"), ("is_reserved", "reserved")):
        if getattr(ip, attribute):
            return f"{ip} is a {label} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def _literal_ip(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_webhook_url(url: str, *, allow_private: bool = False) -> str:
    """The URL to store, or InvalidWebhookUrl saying what is wrong with it."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookUrl("the webhook URL is empty")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise InvalidWebhookUrl(f"the webhook URL must be at most {MAX_URL_LENGTH} printable characters")
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise InvalidWebhookUrl("the webhook URL must use https" if not allow_private
                                else "the webhook URL must use http or https")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrl("the webhook URL must not carry credentials")
    host = parts.hostname
    if not host:
        raise InvalidWebhookUrl("the webhook URL has no host")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise InvalidWebhookUrl(f"the webhook URL has a bad port: {exc}") from exc
    if not allow_private:
        ip = _literal_ip(host)
        if ip is not None and (reason := refusal(ip)) is not None:
            raise InvalidWebhookUrl(f"the webhook URL points at a non-public address: {reason}")
        if host == "localhost" or host.endswith(".localhost"):
            raise InvalidWebhookUrl("the webhook URL points at localhost")
    return url


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver, off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves each host at connect time, refuses non-public addresses and connects to a checked address."""

    def __init__(self, resolver: Resolver = system_resolver) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolve = resolver

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        literal = _literal_ip(host)
        addresses = [str(literal)] if literal is not None else await self._resolve(host, port)
        if not addresses:
            raise UnsafeWebhookTarget(f"{host} did not resolve to any address")
        for address in addresses:
            reason = refusal(ipaddress.ip_address(address.split("%", 1)[0]))
            if reason is not None:
                raise UnsafeWebhookTarget(f"refused to connect to {host}: {reason}")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise UnsafeWebhookTarget("webhooks are not delivered over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on a GuardedNetworkBackend."""

    def __init__(self, resolver: Resolver = system_resolver) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                                  network_backend=GuardedNetworkBackend(resolver))


def guarded_client(*, allow_private: bool = False, resolver: Resolver = system_resolver,
                   timeout_s: float = 10.0) -> httpx.AsyncClient:
    """An httpx client for webhook delivery: no redirects, no environment proxies, and (unless
    ``allow_private``) no connection to an address that is not public."""
    transport = httpx.AsyncHTTPTransport(trust_env=False) if allow_private else GuardedTransport(resolver)
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False,
                             timeout=httpx.Timeout(timeout_s))
