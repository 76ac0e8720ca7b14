"""The one guard for outbound HTTP to a URL a tenant can influence (SSRF).

A tenant may point the platform at a URL (its own LLM endpoint today; web hooks, website
import and avatars later). Every such call goes through ``guarded_client(policy)``:

- ``check_url`` refuses, before any traffic: schemes other than http(s) (http too in
  production), credentials in the URL, ``localhost`` names, and literal addresses that are
  not public — IPv4 in every spelling ``inet_aton`` accepts (``0x7f000001``, ``2130706433``,
  ``127.1``), IPv6, and IPv6 forms that embed an IPv4 address (v4-mapped, 6to4, Teredo, NAT64).
- the connection resolves the name once, refuses it if *any* address it resolves to is not
  public, and connects to the checked address (TLS still verifies the name): a DNS answer that
  changes between the check and the connection cannot redirect it (no DNS rebinding).
- redirects are not followed, and every request's URL is checked again in the transport.
- only plain HTTP headers leave (``_FORWARDED``) plus the ones the caller fixes (its own
  credentials): whatever a library adds from the process's environment — the openai SDK's
  organisation and project (``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``), platform details — stays here;
- responses are capped at ``max_response_bytes``.
- ``FRONTDESK_OUTBOUND_ALLOW`` lets the operator (and tests) reach named hosts, addresses or
  networks anyway: ``llm.internal``, ``10.0.0.0/8``, ``127.0.0.1:8080`` (a port narrows a rule).

The reasons are for the platform's logs; a tenant only learns that the endpoint failed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import certifi
import httpcore
import httpx
import structlog

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
log = structlog.get_logger()

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_FORWARDED = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "content-type",
        "host",
        "transfer-encoding",
        "user-agent",
    }
)
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class BlockedURL(ValueError):
    """A URL the platform will not call; the message says why (for logs and save-time 422s)."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class AllowRule:
    host: str | None = None  # an exact host name
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowRule:
        text = text.strip().lower()
        port: int | None = None
        if text.startswith("["):  # [v6]:port
            inner, _, rest = text[1:].partition("]")
            text, port = inner, int(rest[1:]) if rest.startswith(":") else None
        elif text.count(":") == 1:
            text, port_text = text.split(":")
            port = int(port_text)
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"bad port in outbound allow rule {text!r}")
        try:
            return cls(network=ipaddress.ip_network(text, strict=False), port=port)
        except ValueError:
            if not text or "/" in text:
                raise ValueError(f"bad outbound allow rule {text!r}") from None
            return cls(host=text.rstrip("."), port=port)

    def admits_host(self, host: str, port: int) -> bool:
        return self.host is not None and self.host == host and self.port in (None, port)

    def admits_address(self, address: IPAddress, port: int) -> bool:
        return self.network is not None and address in self.network and self.port in (None, port)


@dataclass(frozen=True)
class OutboundPolicy:
    require_https: bool = False
    allow: tuple[AllowRule, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def build(cls, *, require_https: bool, allow: Iterable[str] = ()) -> OutboundPolicy:
        return cls(require_https=require_https, allow=tuple(AllowRule.parse(r) for r in allow if r.strip()))

    def _host_allowed(self, host: str, port: int) -> bool:
        return any(rule.admits_host(host, port) for rule in self.allow)

    def _address_allowed(self, address: IPAddress, port: int) -> bool:
        return any(rule.admits_address(address, port) for rule in self.allow)

    def check_url(self, url: str | httpx.URL) -> httpx.URL:
        """The URL, parsed, if nothing about it is refused without resolving its name."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise BlockedURL("not a valid URL") from None
        allowed_schemes = ("https",) if self.require_https else ("http", "https")
        if parsed.scheme not in allowed_schemes:
            raise BlockedURL(f"the URL must start with {' or '.join(s + '://' for s in allowed_schemes)}")
        if parsed.userinfo:
            raise BlockedURL("the URL must not contain a user name or password")
        host = normalized_host(parsed.host)
        if not host:
            raise BlockedURL("the URL has no host")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if self._host_allowed(host, port):
            return parsed
        if host in _LOCAL_NAMES or host.endswith(".localhost"):
            raise BlockedURL("the URL points at this server")
        literal = literal_address(host)
        if literal is not None:
            self._check_address(literal, port)
        return parsed

    def _check_address(self, address: IPAddress, port: int) -> None:
        if not self._address_allowed(address, port) and not is_public(address):
            raise BlockedURL(f"{address} is not a public address")

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to: every one the name resolves to must be allowed."""
        host = normalized_host(host)
        if self._host_allowed(host, port):
            return await self.resolver(host, port)
        literal = literal_address(host)
        if literal is not None:
            self._check_address(literal, port)
            return [str(literal)]
        try:
            addresses = await self.resolver(host, port)
        except OSError:
            raise BlockedURL("the host name does not resolve") from None
        if not addresses:
            raise BlockedURL("the host name does not resolve")
        for text in addresses:
            self._check_address(ipaddress.ip_address(text.split("%", 1)[0]), port)
        return addresses


def normalized_host(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as a number stands for, in any spelling the resolver takes."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host) and host[0].isdigit():
        try:  # 0x7f000001, 2130706433, 0177.0.0.1, 127.1: what inet_aton (and getaddrinfo) accept
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address, including what an IPv6 address carries inside."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address.teredo is not None:
            embedded.append(address.teredo[1])
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(inner is not None and not is_public(inner) for inner in embedded):
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:  # fec0::/10, deprecated
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the name itself, then connects to the checked address (pinned)."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._policy.resolve(host, port)
        except BlockedURL as blocked:
            log.warning("outbound.blocked", host=host, port=port, reason=str(blocked))
            raise httpcore.ConnectError("outbound address refused") from None
        return await self._inner.connect_tcp(
            addresses[0], port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from tenant URLs")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CappedStream(httpx.AsyncByteStream):
    """A response body that stops (ReadError) past ``limit`` bytes: a tenant's endpoint cannot
    fill the process's memory."""

    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise httpx.ReadError(f"response larger than {self._limit} bytes")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guard: each request's URL checked, each connection pinned,
    only plain headers and the caller's ``headers`` sent, responses capped."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        headers: dict[str, str] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        limits: httpx.Limits = httpx.Limits(),
    ) -> None:
        super().__init__(trust_env=False)  # no proxy from the environment: it would resolve for us
        self._policy = policy
        self._headers = dict(headers or {})
        self._max_response_bytes = max_response_bytes
        # httpx has no public way to hand its pool a network backend; this is its own pool class.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            self._policy.check_url(request.url)
        except BlockedURL as blocked:
            log.warning("outbound.blocked", host=request.url.host, reason=str(blocked))
            raise httpx.ConnectError("outbound address refused", request=request) from None
        sent = httpx.Headers([(k, v) for k, v in request.headers.multi_items() if k.lower() in _FORWARDED])
        sent.update(self._headers)
        request.headers = sent
        response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _CappedStream(response.stream, self._max_response_bytes)
        return response


def guarded_client(
    policy: OutboundPolicy, *, timeout: float = 20.0, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    """An httpx client for tenant-influenced URLs: guarded, pinned, never following redirects;
    ``headers`` (the tenant's own credentials) replace whatever the caller's library sets."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, headers=headers),
        follow_redirects=False,
        timeout=timeout,
        trust_env=False,
    )
