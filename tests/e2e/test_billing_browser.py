"""The Billing page in a real browser: upgrade → (fake) Stripe Checkout → pay → Stripe's signed
web hooks reach the live server → back on the Billing page on the paid plan with its invoice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from frontdesk.runtime import Runtime
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_dashboard import _login, api_signup, watch_console
from tests.fakes.stripe_server import API_KEY, WEBHOOK_SECRET, FakeStripe
from tests.live import live_server


@pytest.fixture(scope="module")
def stripe_live(settings) -> Iterator[tuple[str, FakeStripe]]:
    with FakeStripe() as fake:
        env = {
            "STRIPE_API_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "FRONTDESK_STRIPE_API_URL": fake.base_url,
        }
        with live_server(settings, **env) as base:
            fake.webhook_url = f"{base}/api/v1/stripe/webhook"
            yield base, fake


async def test_upgrading_through_checkout_puts_the_workspace_on_pro(
    browser: Browser, stripe_live: tuple[str, FakeStripe], runtime: Runtime
) -> None:
    live, fake = stripe_live
    email = f"owner-{uuid.uuid4().hex[:8]}@billing.test"
    async with httpx.AsyncClient(base_url=live) as api:
        await api_signup(api, runtime, "Billing Blooms", email)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
    await _login(page, live, email)
    await page.wait_for_url(f"{live}/app/**")
    await page.goto(f"{live}/app/billing/")

    await expect(page.locator("[data-testid=current-plan]")).to_have_attribute("data-plan", "free")
    await expect(page.locator("[data-testid=usage-bar]")).to_contain_text("0 of 1000 messages")
    await expect(page.get_by_text("No invoices yet")).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "billing-free.png"), full_page=True)

    await page.get_by_role("button", name="Upgrade to Pro").click()
    await page.wait_for_url(f"{fake.base_url}/c/pay/**")
    await expect(page.locator("h1")).to_have_text("Fake Stripe Checkout")
    await expect(page.locator("body")).to_contain_text("14-day free trial")
    await page.get_by_role("button", name="Pay and subscribe").click()

    await page.wait_for_url(f"{live}/app/billing/?checkout=success")
    assert [status for _, status in fake.delivered] == [200, 200, 200], fake.delivered
    await expect(page.locator("[data-testid=checkout-success]")).to_be_visible()
    await expect(page.locator("[data-testid=current-plan]")).to_have_attribute("data-plan", "pro")
    await expect(page.locator("[data-testid=usage-bar]")).to_contain_text("of 100000 messages")
    await expect(page.locator("[data-testid=invoice-row]")).to_have_count(1)
    await expect(page.get_by_role("button", name="Manage billing")).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "billing-pro.png"), full_page=True)

    await page.get_by_role("button", name="Manage billing").click()
    await page.wait_for_url(f"{fake.base_url}/p/session/**")
    await expect(page.locator("h1")).to_have_text("Fake customer portal")
    assert [e for e in errors if e.startswith(live)] == []  # the fake's pages have no favicon
    await page.close()
