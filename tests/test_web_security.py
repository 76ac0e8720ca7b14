"""The web edge as an attacker meets it: open redirects, forged Host headers, framing and
sniffing, bad JSON numbers and NUL characters. Each test is the attack; it must be refused."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest

from frontdesk import web
from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.kit.mail import MemoryMailer
from frontdesk.runtime import Runtime
from tests import factories

INLINE = "(self.__next_f=self.__next_f||[]).push([0])"


@pytest.fixture
def export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    page = f'<html><head><script src="/_next/static/a.js" async=""></script></head><body><script>{INLINE}</script></body></html>'
    (tmp_path / "index.html").write_text(page)
    (tmp_path / "app" / "index.html").write_text(page)
    (tmp_path / "404.html").write_text('<h1 style="color:red">not here</h1>')
    monkeypatch.setattr(web, "DASHBOARD_DIR", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "path", ["//evil.example/x", "/\\evil.example/x", "/%5Cevil.example/x", "/%09/evil.example"]
)
async def test_no_redirect_to_another_site(client: httpx.AsyncClient, export: Path, path: str) -> None:
    r = await client.get(httpx.URL("http://testserver").copy_with(raw_path=path.encode()))
    assert r.status_code == 404 and "location" not in r.headers
    # the ordinary trailing-slash redirect stays on this site
    moved = await client.get("/app", params={"tab": "keys"})
    assert moved.status_code == 308 and moved.headers["location"] == "/app/?tab=keys"


async def test_a_forged_host_gets_400_and_no_reset_link(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await factories.signup(client)
    runtime.mailer.sent.clear()  # type: ignore[attr-defined]
    r = await client.post(
        "/api/v1/auth/password/forgot", json={"email": owner.email}, headers={"Host": "attacker.example"}
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_host"
    assert runtime.mailer.sent == []  # type: ignore[attr-defined]
    # load balancers probe by address: the health endpoints answer any Host
    for probe in ("/healthz", "/readyz"):
        assert (await client.get(probe, headers={"Host": "10.0.0.7:8000"})).status_code == 200


async def test_production_links_and_hosts_come_from_the_public_url(settings: Settings) -> None:
    production = settings.model_copy(
        update={
            "env": "production",
            "public_url": "https://desk.example.com",
            "allowed_hosts": ["api.example.com"],
        }
    )
    application = create_app(production)
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="https://desk.example.com") as client,
    ):
        mailer = application.state.runtime.mailer = MemoryMailer()
        for host in ("testserver", "127.0.0.1", "localhost"):  # development's names are not trusted here
            assert (await client.get("/api/v1/no-such", headers={"Host": host})).status_code == 400
        assert (await client.get("/api/v1/no-such", headers={"Host": "api.example.com"})).status_code == 404
        owner = await factories.signup(client)
        r = await client.post(
            "/api/v1/auth/password/forgot", json={"email": owner.email}, headers={"Host": "api.example.com"}
        )
        assert r.status_code == 202
        assert "https://desk.example.com/reset-password?token=" in mailer.sent[-1].body
        # the development demo is off: no publishable key minted for whoever asks
        assert (await client.get("/demo")).status_code == 404
        # HSTS in production only
        assert "max-age=" in (await client.get("/healthz")).headers["strict-transport-security"]


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


async def test_pages_cannot_be_framed_or_sniffed_and_run_only_their_own_scripts(
    client: httpx.AsyncClient, export: Path, tenant_a: factories.TenantWithKey
) -> None:
    page = await client.get("/app/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1).split()  # type: ignore[union-attr]
    assert script_src == ["'self'", _sha(INLINE)]  # the page's inline script, and nothing inline else
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in page.headers["permissions-policy"]
    assert "strict-transport-security" not in page.headers  # development over http
    # the 404 page's style attribute is allowed by its hash, not by 'unsafe-inline'
    missing = await client.get("/nope/")
    assert missing.status_code == 404 and _sha("color:red") in missing.headers["content-security-policy"]
    # API answers (JSON and problem+json) are not sniffed or framed either
    for r in (
        await client.get("/api/v1/config", headers={"X-API-Key": tenant_a.key}),
        await client.get("/api/v1/config"),
    ):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in r.headers["content-security-policy"]


async def test_the_widget_still_loads_and_answers_on_a_tenant_site(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tenant = await factories.create_tenant(runtime, "Widget Shop")
    _, key = await factories.create_key(
        runtime, tenant, type="publishable", allowed_origins=["https://shop.example"]
    )
    script = await client.get("/widget.js")
    assert script.status_code == 200 and script.headers["access-control-allow-origin"] == "*"
    assert script.headers["x-content-type-options"] == "nosniff"
    origin = {"Origin": "https://shop.example"}
    preflight = await client.options(
        "/api/v1/chat", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert (
        preflight.status_code == 204
        and preflight.headers["access-control-allow-origin"] == "https://shop.example"
    )
    r = await client.get("/api/v1/widget/config", headers={**origin, "X-API-Key": key})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "1" + "0" * 400 + ".5"])
async def test_non_finite_json_numbers_are_422_not_500(
    client: httpx.AsyncClient, tenant_a: factories.TenantWithKey, number: str
) -> None:
    body = '{"session_id": "v1", "message": "hello", "metadata": {"score": NUMBER}}'.replace("NUMBER", number)
    r = await client.post(
        "/api/v1/chat",
        content=body,
        headers={"X-API-Key": tenant_a.key, "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json") and "finite" in r.text
    # an ordinary number (and a string that merely says NaN) still goes through
    fine = '{"session_id": "v1", "message": "NaN Infinity", "metadata": {"score": 1e300}}'
    ok = await client.post(
        "/api/v1/chat", content=fine, headers={"X-API-Key": tenant_a.key, "Content-Type": "application/json"}
    )
    assert ok.status_code == 200, ok.text


async def test_nul_in_a_path_or_query_is_4xx_not_500(
    client: httpx.AsyncClient, export: Path, tenant_a: factories.TenantWithKey
) -> None:
    owner = await factories.signup(client)
    r = await client.get("/api/v1/customer/audit?action=team%00", headers=owner.headers)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = await client.get("/api/v1/admin/audit", params={"action": "x\x00"})
    assert r.status_code == 422
    for path in ("/app%00/", "/app/%00", "/api/v1/knowledge/%00"):
        r = await client.get(path, headers={"X-API-Key": tenant_a.key})
        assert r.status_code == 404, (path, r.text)
