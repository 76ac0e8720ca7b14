"""A visitor uses the widget on a tenant's site in a real browser; another site cannot."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect
from playwright.async_api import Response as BrowserResponse
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from frontdesk.runtime import Runtime
from tests import factories
from tests.e2e.conftest import ARTIFACTS
from tests.fakes.loopback import LoopbackServer

HOURS = "# Opening hours\nJuniper Tea is open on Saturday from 10:00 to 14:00."


class Site(LoopbackServer):
    """A customer's website on its own origin, with the widget's one script tag."""

    name = "customer-site"

    def __init__(self, api: str, key: str) -> None:
        super().__init__()
        self.api, self.key = api, key
        self.secret = ""  # the tenant's secret key, for checks through the API

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _app(self) -> Starlette:
        async def home(_: object) -> HTMLResponse:
            return HTMLResponse(
                "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                "<title>Juniper Tea</title></head><body><h1>Juniper Tea</h1>"
                f"<script src='{self.api}/widget.js' data-key='{self.key}' async></script></body></html>"
            )

        async def favicon(_: object) -> Response:
            return Response(status_code=204)

        return Starlette(routes=[Route("/", home), Route("/favicon.ico", favicon)])


@pytest.fixture(scope="module")
def sites(live: str) -> Iterator[tuple[Site, Site]]:
    # keys are filled in once the tenant exists (the origins must be known first)
    with Site(live, "") as shop, Site(live, "") as other:
        yield shop, other


@pytest.fixture
async def tenant_sites(runtime: Runtime, sites: tuple[Site, Site]) -> tuple[Site, Site]:
    shop, other = sites
    tenant = await factories.create_tenant(runtime, "Juniper Tea")
    _, secret = await factories.create_key(runtime, tenant)
    _, publishable = await factories.create_key(
        runtime, tenant, type="publishable", allowed_origins=[shop.origin]
    )
    async with httpx.AsyncClient(base_url=shop.api) as api:
        r = await api.post(
            "/api/v1/knowledge", headers={"X-API-Key": secret}, json={"name": "Hours", "content": HOURS}
        )
        assert r.status_code == 201, r.text
        r = await api.put(
            "/api/v1/config",
            headers={"X-API-Key": secret},
            json={
                "bot_name": "Juno",
                "greeting": "Hello! Ask me about our teas.",
                "widget": {"color": "#0f766e"},
            },
        )
        assert r.status_code == 200, r.text
    shop.key = other.key = publishable
    shop.secret = secret
    return shop, other


def _console_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


async def test_a_visitor_chats_through_the_widget_and_sees_the_streamed_reply(
    browser: Browser, tenant_sites: tuple[Site, Site]
) -> None:
    shop, _ = tenant_sites
    page = await browser.new_page()
    errors = _console_errors(page)
    chat_responses: list[BrowserResponse] = []
    page.on("response", lambda r: chat_responses.append(r) if "/api/v1/chat" in r.url else None)
    await page.goto(shop.origin + "/")
    await expect(page.locator("#frontdesk-widget")).to_have_attribute("data-state", "ready")
    launcher = page.locator(".fd-launcher")
    await expect(launcher).to_have_attribute("aria-label", "Open chat with Juno")
    await launcher.click()
    await expect(page.locator(".fd-panel")).to_be_visible()
    await expect(page.locator(".fd-msg-bot").first).to_contain_text("Ask me about our teas")

    await page.locator(".fd-input").fill("Are you open on Saturday?")
    await page.keyboard.press("Enter")
    await expect(page.locator(".fd-msg-user").last).to_have_text("Are you open on Saturday?")
    reply = page.locator('.fd-msg-bot[data-done="true"]').last
    await expect(reply).to_contain_text("10:00", timeout=15_000)
    assert chat_responses and chat_responses[-1].headers["content-type"].startswith("text/event-stream")
    await page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))

    # the session survives a reload: the transcript is still there
    await page.reload()
    await expect(page.locator("#frontdesk-widget")).to_have_attribute("data-state", "ready")
    await page.locator(".fd-launcher").click()
    await expect(page.locator(".fd-msg-user").last).to_have_text("Are you open on Saturday?")
    # keyboard: Escape closes the panel and gives focus back to the launcher
    await page.keyboard.press("Escape")
    await expect(page.locator(".fd-panel")).to_be_hidden()
    await expect(page.locator(".fd-launcher")).to_be_focused()
    assert errors == []
    await page.close()


async def test_a_visitor_rates_an_answer_with_a_thumb(
    browser: Browser, tenant_sites: tuple[Site, Site]
) -> None:
    shop, _ = tenant_sites
    page = await browser.new_page()
    errors = _console_errors(page)
    await page.goto(shop.origin + "/")
    await expect(page.locator("#frontdesk-widget")).to_have_attribute("data-state", "ready")
    await page.locator(".fd-launcher").click()
    await page.locator(".fd-input").fill("Are you open on Saturday?")
    await page.keyboard.press("Enter")
    reply = page.locator('.fd-msg-bot[data-done="true"]').last
    await expect(reply).to_contain_text("10:00", timeout=15_000)
    # the greeting is not an answer: no thumbs under it
    await expect(page.locator(".fd-greeting .fd-rate")).to_have_count(0)
    down = reply.get_by_role("button", name="Not helpful")
    await expect(down).to_have_attribute("aria-pressed", "false")
    await down.click()
    await expect(down).to_have_attribute("aria-pressed", "true")
    await expect(reply.locator(".fd-rate")).to_have_attribute("data-saved", "down")
    # stored on the answer, as the tenant's API shows it
    async with httpx.AsyncClient(base_url=shop.api, headers={"X-API-Key": shop.secret}) as api:
        conversations = (await api.get("/api/v1/conversations", params={"channel": "widget"})).json()["items"]
        transcript = (await api.get(f"/api/v1/conversations/{conversations[0]['id']}")).json()
    assert [(m["role"], m["rating"]) for m in transcript["messages"]][-2:] == [
        ("user", None),
        ("assistant", "down"),
    ]
    # the choice is still shown after a reload, and can be changed
    await page.reload()
    await page.locator(".fd-launcher").click()
    reply = page.locator(".fd-msg-bot").last
    await expect(reply.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    up = reply.get_by_role("button", name="Helpful", exact=True)
    await up.click()
    await expect(reply.locator(".fd-rate")).to_have_attribute("data-saved", "up")
    await expect(reply.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "false")
    assert errors == []
    await page.close()


async def test_the_widget_is_full_screen_on_a_phone(
    browser: Browser, tenant_sites: tuple[Site, Site]
) -> None:
    shop, _ = tenant_sites
    context = await browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    errors = _console_errors(page)
    await page.goto(shop.origin + "/")
    await expect(page.locator("#frontdesk-widget")).to_have_attribute("data-state", "ready")
    await page.locator(".fd-launcher").tap()
    panel = page.locator(".fd-panel")
    await expect(panel).to_be_visible()
    box = await panel.bounding_box()
    assert box is not None and box["width"] >= 370
    await page.screenshot(path=str(ARTIFACTS / "widget-mobile.png"))
    assert errors == []
    await context.close()


async def test_the_same_widget_on_a_site_the_key_does_not_allow_is_refused(
    browser: Browser, tenant_sites: tuple[Site, Site]
) -> None:
    _, other = tenant_sites
    page = await browser.new_page()
    await page.goto(other.origin + "/")
    await expect(page.locator("#frontdesk-widget")).to_have_attribute("data-state", "error")
    await page.locator(".fd-launcher").click()
    await expect(page.locator(".fd-msg-system").last).to_contain_text("unavailable")
    await page.close()
