"""The dashboard's refresh token lives in an HttpOnly cookie that page scripts never see, and
only same-origin requests that carry the dashboard's header can use it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from frontdesk.runtime import Runtime
from tests import factories
from tests.factories import PASSWORD

DASHBOARD = {"X-Frontdesk-Client": "dashboard"}


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """The dashboard's browser over https (a Secure cookie is never sent over plain http, except
    to localhost, which browsers treat as secure)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        yield c


def _cookie_attributes(r: httpx.Response) -> str:
    [header] = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("fd_refresh=")]
    return header.lower()


async def test_sign_in_sets_an_httponly_cookie_and_keeps_the_token_out_of_json(
    client: httpx.AsyncClient,
) -> None:
    owner = await factories.signup(client)
    client.cookies.clear()
    r = await client.post(
        "/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}, headers=DASHBOARD
    )
    assert r.status_code == 200 and r.json()["refresh_token"] is None and r.json()["access_token"]
    attributes = _cookie_attributes(r)
    for part in ("httponly", "secure", "samesite=strict", "path=/api/v1/auth", "max-age=2592000"):
        assert part in attributes, attributes
    # a page reload: the cookie alone gives a new access token (and rotates itself)
    old = client.cookies["fd_refresh"]
    again = await client.post("/api/v1/auth/refresh", json={}, headers=DASHBOARD)
    assert again.status_code == 200 and again.json()["refresh_token"] is None
    assert client.cookies["fd_refresh"] != old
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["email"] == owner.email
    # the rotated-away cookie value is spent: presenting it revokes the session
    client.cookies.clear()
    client.cookies.set("fd_refresh", old)
    stolen = await client.post("/api/v1/auth/refresh", json={}, headers=DASHBOARD)
    assert stolen.status_code == 401


async def test_signup_and_invitation_accept_use_the_cookie_too(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    email = f"c-{uuid.uuid4().hex[:6]}@c.test"
    r = await client.post(
        "/api/v1/auth/signup", json={"business_name": "Cookie Shop", "email": email, "password": PASSWORD}
    )
    assert r.status_code == 202
    r = await client.post(
        "/api/v1/auth/signup/confirm",
        json={"token": await factories.emailed_token(runtime, email, "token="), "password": PASSWORD},
        headers=DASHBOARD,
    )
    assert r.status_code == 201 and r.json()["refresh_token"] is None and "httponly" in _cookie_attributes(r)
    owner_h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    email = f"m-{uuid.uuid4().hex[:6]}@c.test"
    invited = await client.post(
        "/api/v1/customer/team/invitations", headers=owner_h, json={"email": email, "role": "member"}
    )
    assert invited.status_code == 201
    token = await factories.emailed_token(runtime, email, "token=")
    joined = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}, headers=DASHBOARD
    )
    assert joined.status_code == 200 and joined.json()["refresh_token"] is None
    assert "httponly" in _cookie_attributes(joined)


async def test_the_cookie_is_useless_to_another_site(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    await client.post(
        "/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}, headers=DASHBOARD
    )
    assert client.cookies.get("fd_refresh")
    # a form on another site posts to the refresh route: no custom header → refused
    for body, kind in (("x=1", "application/x-www-form-urlencoded"), ("{}", "text/plain")):
        form = await client.post("/api/v1/auth/refresh", content=body, headers={"Content-Type": kind})
        assert form.status_code in (401, 403, 422) and "access_token" not in form.text, form.text
    bare = await client.post("/api/v1/auth/refresh", json={})
    assert bare.status_code == 401
    # a script on another site that somehow sends the header (its Origin gives it away)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        r = await client.post("/api/v1/auth/refresh", json={}, headers={**DASHBOARD, **headers})
        assert r.status_code == 403, r.text
    # the browser preflight for that header is not granted (no CORS on the auth routes)
    preflight = await client.options(
        "/api/v1/auth/refresh",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-frontdesk-client",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    # the dashboard itself (same origin) still refreshes
    ok = await client.post(
        "/api/v1/auth/refresh", json={}, headers={**DASHBOARD, "Origin": "https://testserver"}
    )
    assert ok.status_code == 200


async def test_sign_out_clears_the_cookie_and_revokes_the_session(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    r = await client.post(
        "/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}, headers=DASHBOARD
    )
    cookie = client.cookies["fd_refresh"]
    out = await client.post(
        "/api/v1/auth/logout", headers={**DASHBOARD, "Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert out.status_code == 204
    assert 'fd_refresh=""' in out.headers["set-cookie"] and "max-age=0" in out.headers["set-cookie"].lower()
    assert "fd_refresh" not in client.cookies
    client.cookies.set("fd_refresh", cookie)
    replay = await client.post("/api/v1/auth/refresh", json={}, headers=DASHBOARD)
    assert replay.status_code == 401


async def test_api_clients_keep_json_refresh_tokens(client: httpx.AsyncClient) -> None:
    owner = await factories.signup(client)
    assert (
        owner.refresh_token
        and "set-cookie"
        not in (
            await client.post("/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD})
        ).headers
    )
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token})
    assert r.status_code == 200 and r.json()["refresh_token"]
