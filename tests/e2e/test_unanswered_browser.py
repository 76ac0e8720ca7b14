"""The improvement loop in a real browser: a visitor's question goes unanswered, the owner sees it
on "Unanswered questions", adds an answer there, and the next visitor gets that answer."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import Browser, expect

from frontdesk.runtime import Runtime
from tests.e2e.test_dashboard import _login, api_signup, shot, watch_console

QUESTION = "Do you have parking?"
ANSWER = "Yes: free parking behind the shop, entrance on Rue Verte."


async def test_the_owner_answers_an_unanswered_question_and_the_bot_uses_it(
    browser: Browser, live: str, runtime: Runtime
) -> None:
    email = f"gaps-{uuid.uuid4().hex[:6]}@lupin.test"
    async with httpx.AsyncClient(base_url=live) as api:
        owner = await api_signup(api, runtime, "Lupin Flowers", email)
        key = {"X-API-Key": owner["secret_key"]}
        r = await api.post("/api/v1/chat", headers=key, json={"session_id": "v1", "message": QUESTION})
        assert "I don't have that information yet" in r.json()["reply"]

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
    await _login(page, live, email)
    await expect(page).to_have_url(f"{live}/app/")
    await page.get_by_role("link", name="Unanswered questions").first.click()
    await expect(page).to_have_url(f"{live}/app/unanswered/")
    gap = page.locator(f'[data-testid=gap][data-question="{QUESTION}"]')
    await expect(gap).to_contain_text("no answer found")
    await expect(gap).to_contain_text("Asked once")
    await shot(page, "unanswered")
    await gap.get_by_role("button", name="Add an answer").click()
    await page.get_by_label("Answer", exact=True).fill(ANSWER)
    await page.click("[data-testid=gap-answer-save]")
    await expect(page.get_by_text("Answer added to “Answers”")).to_be_visible()
    await expect(gap).to_have_count(0)
    await expect(page.get_by_text("No unanswered questions")).to_be_visible()

    async with httpx.AsyncClient(base_url=live) as api:
        r = await api.post("/api/v1/chat", headers=key, json={"session_id": "v2", "message": QUESTION})
        assert "Rue Verte" in r.json()["reply"], r.json()
    assert errors == []
    await page.close()
