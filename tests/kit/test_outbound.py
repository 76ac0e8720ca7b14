"""The outbound guard (kit/outbound.py), address by address, with a stub resolver: no traffic
leaves the machine, and none goes to 169.254.x."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk.kit.outbound import AllowRule, BlockedURL, GuardedTransport, OutboundPolicy, guarded_client
from tests.fakes.loopback import LoopbackServer

PUBLIC = "93.184.216.34"


def stub_resolver(answers: dict[str, list[str]], calls: list[str] | None = None):
    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in answers:
            raise OSError("no such host")
        return answers[host]

    return resolve


def policy(answers: dict[str, list[str]] | None = None, **fields: object) -> OutboundPolicy:
    base = OutboundPolicy.build(require_https=bool(fields.pop("require_https", False)), **fields)  # type: ignore[arg-type]
    return OutboundPolicy(base.require_https, base.allow, stub_resolver(answers or {}))


REFUSED_LITERALS = [
    "http://127.0.0.1/v1",
    "http://127.0.0.1:6379/",  # Redis
    "http://localhost:8000/v1",
    "http://LOCALHOST./v1",
    "http://api.localhost/v1",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "http://[::1]/v1",
    "http://[::]/",
    "http://0x7f000001/v1",  # 127.0.0.1 in hex
    "http://2130706433/v1",  # 127.0.0.1 as one number
    "http://0177.0.0.1/v1",  # octal
    "http://127.1/v1",  # short form
    "http://0/",
    "http://[::ffff:127.0.0.1]/v1",  # v4-mapped
    "http://[::ffff:a9fe:a9fe]/",  # v4-mapped 169.254.169.254
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo carrying 127.0.0.1
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.10/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://[ff02::1]/",
    "http://240.0.0.1/",  # reserved
    "http://[fe80::1]/",  # link-local
    "http://[fc00::1]/",  # unique local
    "http://[fec0::1]/",  # site-local (deprecated, still routed inside some networks)
]


@pytest.mark.parametrize("url", REFUSED_LITERALS)
def test_addresses_that_are_not_public_are_refused_before_any_traffic(url: str) -> None:
    with pytest.raises(BlockedURL):
        policy().check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@api.example.com/v1",
        "http://user@api.example.com/v1",
        "ftp://api.example.com/",
        "file:///etc/passwd",
        "gopher://api.example.com/",
        "http:///v1",
        "not a url",
    ],
)
def test_credentials_other_schemes_and_junk_are_refused(url: str) -> None:
    with pytest.raises(BlockedURL):
        policy().check_url(url)


def test_public_urls_pass_and_production_wants_https() -> None:
    assert policy().check_url(f"http://{PUBLIC}/v1").host == PUBLIC
    assert policy().check_url("https://api.example.com/v1").host == "api.example.com"
    assert policy().check_url("http://[2606:4700:4700::1111]/v1")
    with pytest.raises(BlockedURL, match="https://"):
        policy(require_https=True).check_url("http://api.example.com/v1")
    assert policy(require_https=True).check_url("https://api.example.com/v1")


async def test_names_are_resolved_and_every_address_must_be_public() -> None:
    guard = policy(
        {
            "good.example": [PUBLIC],
            "evil.example": ["127.0.0.1"],
            "mixed.example": [PUBLIC, "10.0.0.7"],
            "meta.example": ["169.254.169.254"],
            "v6.example": ["::1"],
            "mapped.example": ["::ffff:127.0.0.1"],
        }
    )
    assert await guard.resolve("good.example", 443) == [PUBLIC]
    for host in ("evil.example", "mixed.example", "meta.example", "v6.example", "mapped.example"):
        with pytest.raises(BlockedURL, match="not a public address"):
            await guard.resolve(host, 443)
    with pytest.raises(BlockedURL, match="does not resolve"):
        await guard.resolve("nowhere.example", 443)


async def test_the_allow_list_admits_named_hosts_addresses_and_networks_only() -> None:
    guard = policy(
        {"llm.internal": ["10.0.0.5"], "other.internal": ["10.0.0.6"]},
        allow=["llm.internal", "127.0.0.1:8080", "192.168.0.0/16"],
    )
    assert await guard.resolve("llm.internal", 443) == ["10.0.0.5"]
    assert guard.check_url("http://127.0.0.1:8080/v1")
    assert guard.check_url("http://192.168.4.4/v1")
    with pytest.raises(BlockedURL):
        guard.check_url("http://127.0.0.1:6379/")  # the port narrows the rule
    with pytest.raises(BlockedURL):
        await guard.resolve("other.internal", 443)


def test_bad_allow_rules_are_refused() -> None:
    for rule in ("127.0.0.1:99999", "10.0.0.0/33", "/", "host:port"):
        with pytest.raises(ValueError):
            AllowRule.parse(rule)


class Echo(LoopbackServer):
    """Answers with the Host header it saw; /redirect sends the client elsewhere."""

    name = "echo"

    def __init__(self, redirect_to: str = "") -> None:
        super().__init__()
        self.redirect_to = redirect_to
        self.hits = 0

    def _app(self) -> Starlette:
        async def echo(request: Request) -> Response:
            self.hits += 1
            return PlainTextResponse(request.headers.get("host", ""))

        async def redirect(request: Request) -> Response:
            self.hits += 1
            return RedirectResponse(self.redirect_to, status_code=307)

        async def big(request: Request) -> Response:
            return PlainTextResponse("x" * 10_000)

        return Starlette(routes=[Route("/", echo), Route("/redirect", redirect), Route("/big", big)])


async def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    """The name is resolved once, by the guard, and the socket opens to that answer: a name
    the system cannot resolve reaches the allowed address (so a second, different DNS answer
    could not be used: no rebinding between check and connect)."""
    calls: list[str] = []
    with Echo() as echo:
        guard = OutboundPolicy(
            allow=(AllowRule.parse(f"127.0.0.1:{echo.port}"),),
            resolver=stub_resolver({"llm.test": ["127.0.0.1"]}, calls),
        )
        async with guarded_client(guard) as http:
            response = await http.get(f"http://llm.test:{echo.port}/")
    assert response.text == f"llm.test:{echo.port}"  # the name stays in Host (and TLS SNI)
    assert calls == ["llm.test"]


async def test_a_name_resolving_to_loopback_never_connects() -> None:
    with Echo() as echo:
        guard = OutboundPolicy(resolver=stub_resolver({"rebind.test": ["127.0.0.1"]}))
        async with guarded_client(guard) as http:
            with pytest.raises(httpx.ConnectError, match="refused"):
                await http.get(f"http://rebind.test:{echo.port}/")
    assert echo.hits == 0


async def test_redirects_are_not_followed() -> None:
    with Echo() as target, Echo(redirect_to="") as hop:
        hop.redirect_to = f"http://127.0.0.1:{target.port}/"
        guard = OutboundPolicy(allow=(AllowRule.parse(f"127.0.0.1:{hop.port}"),))
        async with guarded_client(guard) as http:
            response = await http.get(f"http://127.0.0.1:{hop.port}/redirect")
            assert response.status_code == 307
            with pytest.raises(httpx.ConnectError):  # and following it by hand is re-checked
                await http.get(response.headers["location"])
    assert hop.hits == 1 and target.hits == 0


async def test_responses_are_capped_and_only_plain_headers_leave() -> None:
    with Echo() as echo:
        guard = OutboundPolicy(allow=(AllowRule.parse(f"127.0.0.1:{echo.port}"),))
        transport = GuardedTransport(guard, headers={"Authorization": "Bearer mine"}, max_response_bytes=1000)
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.ReadError, match="larger than 1000 bytes"):
                await http.get(f"http://127.0.0.1:{echo.port}/big")
            request = http.build_request(
                "GET",
                f"http://127.0.0.1:{echo.port}/",
                headers={"OpenAI-Organization": "org-x", "Authorization": "x"},
            )
            await http.send(request)
    assert request.headers.get("authorization") == "Bearer mine"
    assert "openai-organization" not in request.headers
