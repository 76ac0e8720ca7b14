"""The Knowledge page in a real browser: import a small website (a fake on loopback, which the
live server may reach through FRONTDESK_OUTBOUND_ALLOW) and watch the progress reach done;
upload a CSV of questions and answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from frontdesk.runtime import Runtime
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_dashboard import PASSWORD, api_signup, watch_console
from tests.fakes.website import FakeWebsite
from tests.live import live_server


@pytest.fixture(scope="module")
def site() -> Iterator[FakeWebsite]:
    with FakeWebsite() as fake:
        yield fake


@pytest.fixture(scope="module")
def live_with_site(settings, site: FakeWebsite) -> Iterator[str]:
    with live_server(settings, FRONTDESK_OUTBOUND_ALLOW=f"127.0.0.1:{site.port}") as base:
        yield base


async def test_import_a_website_and_upload_a_file(
    browser: Browser, live_with_site: str, runtime: Runtime, site: FakeWebsite, tmp_path
) -> None:
    live = live_with_site
    email = f"importer-{uuid.uuid4().hex[:8]}@alpha.test"
    async with httpx.AsyncClient(base_url=live) as api:
        await api_signup(api, runtime, "Alpha Bikes", email)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
    await page.goto(f"{live}/login/")
    await page.fill("[name=email]", email)
    await page.fill("[name=password]", PASSWORD)
    await page.click("[data-testid=login-submit]")
    await expect(page).to_have_url(f"{live}/app/")
    await page.goto(f"{live}/app/knowledge/")

    await page.fill("[data-testid=import-url]", f"{site.base_url}/sitemap.xml")
    await page.click("[data-testid=import-submit]")
    row = page.locator("[data-testid=import-row]").first
    await expect(row).to_have_attribute("data-status", "done", timeout=30_000)
    await expect(row.locator("[data-testid=import-counts]")).to_contain_text("2 indexed")
    await expect(row.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    # the page's documents list picks the imported pages up without a reload
    await expect(page.locator("[data-testid=knowledge-row]")).to_have_count(2)
    await expect(page.locator("body")).to_contain_text("Opening hours")

    csv = tmp_path / "faq.csv"
    csv.write_text("question,answer\nDo you rent tandems?,Yes, two of them, 40 euros a day.\n")
    await page.set_input_files("[data-testid=import-files]", str(csv))
    await expect(page.locator("[data-testid=upload-item]")).to_have_attribute("data-state", "done")
    await expect(page.locator("[data-testid=knowledge-row]")).to_have_count(3)
    # a document reads "Indexed" once the background job has embedded every chunk (the page looks
    # again by itself while one is pending)
    states = page.locator("[data-testid=knowledge-index-state]")
    await expect(states.and_(page.locator("[data-state=indexed]"))).to_have_count(3, timeout=20_000)
    # a file the server refuses says why
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    await page.set_input_files("[data-testid=import-files]", str(bad))
    await expect(page.locator("[data-testid=upload-item]")).to_have_attribute("data-state", "failed")
    await expect(page.locator("[data-testid=upload-list]")).to_contain_text("not a readable PDF")
    await page.screenshot(path=str(ARTIFACTS / "dashboard-knowledge-import.png"), full_page=True)
    # the failed upload is a 422 the page shows; the browser logs it as a failed request
    assert [e for e in errors if "422" not in e] == []
