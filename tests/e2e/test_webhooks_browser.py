"""The platform's Web hooks page in a real browser: an admin sees a failed Stripe event with its
error, requeues it, and it leaves the failed list once the live server processed it again."""

from __future__ import annotations

import uuid
from datetime import timedelta

from playwright.async_api import Browser, expect

from frontdesk.auth import flows
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.models import StripeEvent
from frontdesk.runtime import Runtime
from tests.e2e.test_dashboard import PASSWORD, _login, shot, watch_console


async def test_an_admin_requeues_a_failed_stripe_event(browser: Browser, live: str, runtime: Runtime) -> None:
    event_id = f"evt_{uuid.uuid4().hex[:12]}"
    long_ago = utcnow() - timedelta(hours=2)
    async with unit_of_work(runtime.db, admin=("tests", "a failed event")) as session:
        session.add(
            StripeEvent(
                id=event_id,
                type="customer.subscription.updated",
                created=1,
                payload={"data": {"object": {"customer": "cus_nobody"}}},
                status="failed",
                attempts=5,
                last_error="RuntimeError: database hiccup",
                received_at=long_ago,
                next_attempt_at=long_ago,
            )
        )
    admin_email = f"staff-{uuid.uuid4().hex[:6]}@frontdesk.test"
    await flows.create_platform_user(runtime.db, email=admin_email, password=PASSWORD, role="admin")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
    await _login(page, live, admin_email)
    await expect(page).to_have_url(f"{live}/admin/")
    await page.get_by_role("link", name="Web hooks").click()
    row = page.locator(f"[data-testid=webhook-row][data-event-id='{event_id}']")
    await expect(row).to_contain_text("customer.subscription.updated")
    await expect(row).to_contain_text("database hiccup")
    await shot(page, "admin-webhooks")
    await page.click(f"[data-testid=webhook-requeue][data-event-id='{event_id}']")
    await page.click("[data-testid=confirm-yes]")
    await expect(page.get_by_text("Event requeued")).to_be_visible()
    await expect(row).to_have_count(0)  # processed again: no longer among the failed
    assert errors == []
    await page.close()
