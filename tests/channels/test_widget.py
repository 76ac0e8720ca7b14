"""The widget's server side: the script, its config, CORS for browsers, per-visitor limits, demo."""

from __future__ import annotations

import uuid

import httpx
import pytest

from frontdesk.channels.widget.router import WIDGET_FILE
from frontdesk.runtime import Runtime
from tests import factories
from tests.conftest import app_client

SHOP = "https://shop.test"


@pytest.fixture
async def widget_tenant(client: httpx.AsyncClient, runtime: Runtime) -> dict[str, str]:
    tenant = await factories.create_tenant(runtime, "Juniper Tea")
    _, secret = await factories.create_key(runtime, tenant)
    _, publishable = await factories.create_key(runtime, tenant, type="publishable", allowed_origins=[SHOP])
    r = await client.put(
        "/api/v1/config",
        headers={"X-API-Key": secret},
        json={
            "bot_name": "Juno",
            "greeting": "Hello! Ask me about our teas.",
            "widget": {"color": "#0f766e", "position": "left", "placeholder": "Ask about tea…"},
        },
    )
    assert r.status_code == 200, r.text
    return {"secret": secret, "publishable": publishable}


async def test_the_widget_config_carries_the_tenant_branding(
    client: httpx.AsyncClient, widget_tenant
) -> None:
    r = await client.get(
        "/api/v1/widget/config", headers={"X-API-Key": widget_tenant["publishable"], "Origin": SHOP}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "bot_name": "Juno",
        "business_name": "Juniper Tea",
        "greeting": "Hello! Ask me about our teas.",
        "color": "#0f766e",
        "avatar_url": None,
        "position": "left",
        "show_sources": True,
        "placeholder": "Ask about tea…",
        "branding": True,  # the free plan shows "Powered by Frontdesk"
    }
    # the page may read the answer (CORS) because the key allows this origin
    assert (
        r.headers["access-control-allow-origin"] == SHOP
        and "Retry-After" in r.headers["access-control-expose-headers"]
    )


async def test_a_bad_widget_colour_is_refused(client: httpx.AsyncClient, widget_tenant) -> None:
    r = await client.put(
        "/api/v1/config", headers={"X-API-Key": widget_tenant["secret"]}, json={"widget": {"color": "red"}}
    )
    assert r.status_code == 422 and "color" in r.text


async def test_other_origins_are_refused_and_secret_keys_get_no_cors(
    client: httpx.AsyncClient, widget_tenant
) -> None:
    evil = {"X-API-Key": widget_tenant["publishable"], "Origin": "https://evil.test"}
    r = await client.get("/api/v1/widget/config", headers=evil)
    assert r.status_code == 403 and "origin" in r.json()["detail"]
    r = await client.post("/api/v1/chat", headers=evil, json={"session_id": "v", "message": "hi"})
    assert r.status_code == 403
    # a secret key used from a browser page gets no CORS headers: the browser will not expose it
    r = await client.get(
        "/api/v1/widget/config", headers={"X-API-Key": widget_tenant["secret"], "Origin": SHOP}
    )
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    # and a publishable key is for chatting only
    r = await client.get(
        "/api/v1/knowledge", headers={"X-API-Key": widget_tenant["publishable"], "Origin": SHOP}
    )
    assert r.status_code == 403


async def test_preflight_is_answered_for_the_widget_endpoints(client: httpx.AsyncClient) -> None:
    rating = f"/api/v1/chat/messages/{uuid.uuid4()}/rating"
    for path in ("/api/v1/chat", rating):
        r = await client.options(
            path,
            headers={
                "Origin": SHOP,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key, content-type",
            },
        )
        assert r.status_code == 204, path
        assert r.headers["access-control-allow-origin"] == SHOP
        assert "X-API-Key" in r.headers["access-control-allow-headers"]
    # other paths under /chat are not browser endpoints
    r = await client.options(
        "/api/v1/chat/messages/x/other", headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers


async def test_the_widget_rates_an_answer_across_origins(client: httpx.AsyncClient, widget_tenant) -> None:
    widget = {"X-API-Key": widget_tenant["publishable"], "Origin": SHOP}
    answer = (
        await client.post(
            "/api/v1/chat", headers=widget, json={"session_id": "v", "message": "Do you deliver?"}
        )
    ).json()
    r = await client.post(
        f"/api/v1/chat/messages/{answer['message_id']}/rating",
        headers=widget,
        json={"session_id": "v", "rating": "up"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == SHOP


async def test_widget_chats_are_their_own_channel_and_limited_per_visitor_address(
    client: httpx.AsyncClient, widget_tenant
) -> None:
    await client.put(
        "/api/v1/config", headers={"X-API-Key": widget_tenant["secret"]}, json={"session_per_minute": 1}
    )
    browser = {"X-API-Key": widget_tenant["publishable"], "Origin": SHOP}
    statuses = []
    for n in range(4):  # a fresh session id each time: only the address gives the visitor away
        r = await client.post(
            "/api/v1/chat", headers=browser, json={"session_id": f"tab-{n}", "message": "hi"}
        )
        statuses.append(r.status_code)
    assert statuses == [200, 200, 200, 429]
    assert r.json()["limit"] == "visitor_ip_per_minute" and int(r.headers["retry-after"]) >= 1
    assert r.headers["access-control-allow-origin"] == SHOP  # the widget can show why
    listed = await client.get(
        "/api/v1/conversations", headers={"X-API-Key": widget_tenant["secret"]}, params={"channel": "widget"}
    )
    assert listed.json()["total"] == 3


async def test_the_script_is_served_with_caching_headers(client: httpx.AsyncClient) -> None:
    assert WIDGET_FILE.exists(), "build it first: make widget"
    r = await client.get("/widget.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "max-age" in r.headers["cache-control"] and r.headers["etag"]
    assert b"frontdesk-widget" in r.content and len(r.content) < 40_000
    again = await client.get("/widget.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_the_demo_page_embeds_a_working_key_in_development_only(settings) -> None:
    async with app_client(settings) as client:
        page = await client.get("/demo")
        assert page.status_code == 200 and '<script src="/widget.js" data-key="fd_pk_' in page.text
        key = page.text.split('data-key="', 2)[2].split('"', 1)[0]
        r = await client.get(
            "/api/v1/widget/config", headers={"X-API-Key": key, "Origin": "http://testserver"}
        )
        assert r.status_code == 200 and r.json()["business_name"] == "Demo Bikes"
        again = await client.get("/demo")  # the same key, not a new one per visit
        assert again.text == page.text
    async with app_client(
        settings.model_copy(update={"env": "production", "public_url": "https://fd.test"})
    ) as client:
        assert (await client.get("/demo", headers={"Host": "fd.test"})).status_code == 404
