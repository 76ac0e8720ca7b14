"""The dashboard in a real browser against a live server: signup to a working bot, keys,
roles, admin suspension, validation, phone and desktop widths, no console errors."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from frontdesk.auth import flows, passwords, users
from frontdesk.runtime import Runtime
from tests.e2e.conftest import ARTIFACTS, CRISP_IDENTIFIER, CRISP_KEY, CRISP_WEBSITE
from tests.fakes.loopback import LoopbackServer

PASSWORD = "correct horse battery"
FAQ = "# Opening hours\nLupin Flowers is open on Sunday from 9:00 to 12:30."


def watch_console(page: Page) -> list[str]:
    """Console errors, page errors and Content-Security-Policy violations (each page sends a CSP
    that allows only its own scripts: a refused inline script would show up here)."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            errors.append(f"{page.url}: {message.text}")

    page.on("console", collect)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    return errors


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


async def emailed_signup_token(runtime: Runtime, business: str, email: str) -> str:
    """The link the live server emailed (to its log): sealed the same way with the same key."""
    return users.seal_signup(
        runtime.settings.secret_key,
        business_name=business,
        email=email,
        password_hash=passwords.hash_password(PASSWORD),
        name="",
        allowed_origins=[],
    )


async def api_signup(api: httpx.AsyncClient, runtime: Runtime, business: str, email: str) -> dict[str, str]:
    r = await api.post(
        "/api/v1/auth/signup", json={"business_name": business, "email": email, "password": PASSWORD}
    )
    assert r.status_code == 202, r.text
    token = await emailed_signup_token(runtime, business, email)
    r = await api.post("/api/v1/auth/signup/confirm", json={"token": token, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def sign_up(page: Page, live: str, runtime: Runtime, email: str) -> None:
    await page.goto(f"{live}/signup/")
    await page.fill("[name=business_name]", "Lupin Flowers")
    await page.fill("[name=email]", email)
    await page.fill("[name=password]", PASSWORD)
    await page.click("[data-testid=signup-submit]")
    await expect(page.locator("[data-testid=signup-sent]")).to_contain_text(email)
    await page.goto(f"{live}/signup/?token={await emailed_signup_token(runtime, 'Lupin Flowers', email)}")
    await page.fill("[name=confirm_password]", PASSWORD)  # the password chosen above, once more
    await page.click("[data-testid=signup-confirm]")
    await page.click("[data-testid=signup-continue]")
    await expect(page).to_have_url(f"{live}/onboarding/")


async def test_signup_wizard_preview_and_keys(browser: Browser, live: str, runtime: Runtime) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
    await sign_up(page, live, runtime, f"owner-{uuid.uuid4().hex[:8]}@lupin.test")
    # 1. business
    await page.fill("[name=greeting]", "Hello! Ask me about our flowers.")
    await page.click("[data-testid=wizard-next]")
    # 2. knowledge: paste text
    await expect(page.locator("[data-testid=wizard-step-2]")).to_have_attribute("aria-current", "step")
    await page.fill("[name=name]", "Opening hours")
    await page.fill("[data-testid=knowledge-paste]", FAQ)
    await page.click("[data-testid=knowledge-add]")
    await expect(page.locator("[data-testid=knowledge-list]")).to_contain_text("Opening hours")
    await page.click("[data-testid=wizard-next]")
    # 3. the bot answers from what was just pasted
    await page.fill("[data-testid=preview-input]", "Are you open on Sunday?")
    await page.click("[data-testid=preview-send]")
    await expect(page.locator("[data-testid=preview-reply]").last).to_contain_text("12:30", timeout=15_000)
    await shot(page, "onboarding-preview")
    await page.click("[data-testid=wizard-next]")
    # 4. install: a widget key for the shop's site gives the snippet to paste; Crisp shows its web hook URL
    await page.fill("[name=allowed_origins]", "https://lupin.example")
    await page.click("[data-testid=create-publishable-key]")
    snippet = page.locator("[data-testid=widget-snippet]")
    await expect(snippet).to_contain_text("/widget.js")
    await expect(snippet).to_contain_text('data-key="fd_pk_')
    await page.fill("[name=website_id]", CRISP_WEBSITE)  # the fake Crisp confirms this plugin token on it
    await page.fill("[name=identifier]", CRISP_IDENTIFIER)
    await page.fill("[name=key]", CRISP_KEY)
    await page.fill("[name=signing_secret]", "signing-secret")
    await page.click("[data-testid=crisp-save]")
    await expect(page.locator("[data-testid=crisp-webhook-url]")).to_contain_text(
        "/api/v1/crisp/webhook?token="
    )
    await shot(page, "onboarding-install")
    await page.click("[data-testid=wizard-finish]")
    await expect(page).to_have_url(f"{live}/app/")
    await shot(page, "home")
    # a key is created (shown once) and revoked
    await page.goto(f"{live}/app/keys/")
    await page.click("[data-testid=key-new]")
    await page.fill("[name=name]", "Server key")
    await page.click("[data-testid=key-create]")
    created = (await page.locator("[data-testid=key-created-value]").inner_text()).strip()
    assert created.startswith("fd_sk_")
    async with httpx.AsyncClient(base_url=live) as api:
        assert (await api.get("/api/v1/config", headers={"X-API-Key": created})).status_code == 200
        await page.click("[data-testid=key-created-close]")
        row = page.locator("[data-testid=key-row]", has_text="Server key")
        await row.locator("[data-testid=key-revoke]").click()
        await page.click("[data-testid=confirm-yes]")
        await expect(row).to_contain_text("revoked")
        assert (await api.get("/api/v1/config", headers={"X-API-Key": created})).status_code == 401
    await shot(page, "keys")
    # an intent of the business's own, with what it triggers, saved from the settings page
    await page.goto(f"{live}/app/settings/")
    await page.click("[data-testid=intent-add]")
    await page.fill("[name='intents.0.name']", "wedding")
    await page.select_option("[name='intents.0.action']", "capture_lead")
    await page.fill("[name='intents.0.keywords']", "wedding, bouquet")
    await page.fill("[name=system_prompt]", "You are {bot_name} of {business_name}. Use only: {knowledge}")
    await page.click("[data-testid=save-config]")
    await expect(page.locator("body")).to_contain_text("Settings saved")
    await page.reload()
    await expect(page.locator("[name='intents.0.name']")).to_have_value("wedding")
    await expect(page.locator("[name='intents.0.action']")).to_have_value("capture_lead")
    await expect(page.locator("[name=system_prompt]")).to_have_value(
        "You are {bot_name} of {business_name}. Use only: {knowledge}"
    )
    await shot(page, "settings")
    # how answers are searched: built-in by default; OpenAI embeddings need a key this test has not
    await expect(page.locator("[name=knowledge_embeddings]")).to_have_value("embedded")
    await page.select_option("[name=knowledge_embeddings]", "openai")
    await page.click("[data-testid=save-config]")
    await expect(page.locator("body")).to_contain_text("'openai' embeddings need an LLM api_key")
    await page.reload()
    await expect(page.locator("[name=knowledge_embeddings]")).to_have_value("embedded")
    # the refused save is a 422 the page explains; the browser logs it as a failed request
    assert [e for e in errors if "422" not in e] == []
    await page.close()


async def test_forms_explain_bad_input(browser: Browser, live: str) -> None:
    page = await browser.new_page()
    errors = watch_console(page)
    await page.goto(f"{live}/signup/")
    await page.fill("[name=email]", "not-an-email")
    await page.fill("[name=password]", "short")
    await page.click("[data-testid=signup-submit]")
    alerts = page.locator("[role=alert]")
    await expect(alerts.first).to_be_visible()
    text = " ".join(await alerts.all_inner_texts())
    assert "10 characters" in text and "email" in text.lower()
    await page.goto(f"{live}/login/")
    await page.fill("[name=email]", "nobody@lupin.test")
    await page.fill("[name=password]", "wrong password!")
    await page.click("[data-testid=login-submit]")
    await expect(page.locator("body")).to_contain_text("Wrong email or password")
    assert [e for e in errors if "401" not in e] == []
    await page.close()


async def _login(page: Page, live: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(f"{live}/login/")
    await page.fill("[name=email]", email)
    await page.fill("[name=password]", password)
    await page.click("[data-testid=login-submit]")


async def test_a_viewer_sees_no_write_controls_and_the_api_refuses_anyway(
    browser: Browser, live: str, runtime: Runtime
) -> None:
    async with httpx.AsyncClient(base_url=live) as api:
        owner = await api_signup(api, runtime, "Viewer Shop", f"o-{uuid.uuid4().hex[:6]}@v.test")
        owner_h = {"Authorization": f"Bearer {owner['access_token']}"}
        email = f"viewer-{uuid.uuid4().hex[:6]}@v.test"
        r = await api.post(
            "/api/v1/customer/team/invitations", headers=owner_h, json={"email": email, "role": "viewer"}
        )
        assert r.status_code == 201
    # the live server logs the email (development); read the token from the database instead
    token = await _invitation_token(live, runtime, owner_h, email)
    async with httpx.AsyncClient(base_url=live) as api:
        joined = await api.post(
            "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}
        )
        assert joined.status_code == 200
    page = await browser.new_page(viewport={"width": 375, "height": 800})
    errors = watch_console(page)
    await _login(page, live, email)
    await expect(page).to_have_url(f"{live}/app/")
    for path in ("/app/knowledge/", "/app/settings/", "/app/keys/"):
        await page.goto(f"{live}{path}")
        await page.wait_for_load_state("networkidle")
        assert await page.locator("[data-testid=save-config]").count() == 0
        assert await page.locator("[data-testid=knowledge-add]").count() == 0
        assert await page.locator("[data-testid=key-new]").count() == 0
    await shot(page, "viewer-mobile")
    async with httpx.AsyncClient(base_url=live) as api:
        login = (await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
        viewer_h = {"Authorization": f"Bearer {login['access_token']}"}
        assert (
            await api.put("/api/v1/customer/config", headers=viewer_h, json={"bot_name": "x"})
        ).status_code == 403
    assert [e for e in errors if "403" not in e] == []
    await page.close()


async def _invitation_token(live: str, runtime: Runtime, owner_h: dict[str, str], email: str) -> str:
    """Re-invite through the service layer to learn a token (the live server's email goes to its log)."""
    from frontdesk.auth import team
    from frontdesk.db.session import unit_of_work

    async with httpx.AsyncClient(base_url=live) as api:
        tenant_id = uuid.UUID((await api.get("/api/v1/auth/me", headers=owner_h)).json()["tenant_id"])
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        invitation = await team.invite(
            session, email=email, role="viewer", by_role="owner", by_user=None, actor="tests"
        )
        link = await team.new_link(session, invitation.id, runtime.settings.secret_key)
    assert link is not None
    return link.token


async def test_an_admin_suspends_a_tenant_and_its_key_stops(
    browser: Browser, live: str, runtime: Runtime
) -> None:
    async with httpx.AsyncClient(base_url=live) as api:
        shop = await api_signup(api, runtime, "Suspended Soaps", f"s-{uuid.uuid4().hex[:6]}@s.test")
        key = {"X-API-Key": shop["secret_key"]}
        assert (await api.get("/api/v1/config", headers=key)).status_code == 200
    admin_email = f"staff-{uuid.uuid4().hex[:6]}@frontdesk.test"
    await flows.create_platform_user(runtime.db, email=admin_email, password=PASSWORD, role="admin")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
    await _login(page, live, admin_email)
    await expect(page).to_have_url(f"{live}/admin/")
    await shot(page, "admin")
    await page.goto(f"{live}/admin/tenants/")
    button = page.locator(f"[data-testid=tenant-suspend][data-tenant-id='{shop['tenant_id']}']")
    await button.click()
    await page.click("[data-testid=confirm-yes]")
    await expect(
        page.locator(f"[data-testid=tenant-reactivate][data-tenant-id='{shop['tenant_id']}']")
    ).to_be_visible()
    await shot(page, "admin-tenants")
    async with httpx.AsyncClient(base_url=live) as api:
        r = await api.get("/api/v1/config", headers=key)
        assert r.status_code == 403 and "suspended" in r.json()["detail"]
    assert errors == []
    await page.close()


@pytest.mark.parametrize("width", [375, 1280])
async def test_main_pages_render_without_console_errors(
    browser: Browser, live: str, runtime: Runtime, width: int
) -> None:
    page = await browser.new_page(viewport={"width": width, "height": 800})
    errors = watch_console(page)
    await sign_up(page, live, runtime, f"tour-{width}-{uuid.uuid4().hex[:6]}@lupin.test")
    for path in (
        "/app/",
        "/app/conversations/",
        "/app/leads/",
        "/app/knowledge/",
        "/app/unanswered/",
        "/app/settings/",
        "/app/team/",
        "/app/account/",
        "/app/audit/",
    ):
        await page.goto(f"{live}{path}")
        await page.wait_for_load_state("networkidle")
        await expect(page.locator("body")).not_to_contain_text("Application error")
        if width == 375:
            overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
        await shot(page, f"{path.strip('/').replace('/', '-') or 'root'}-{width}")
    assert errors == []
    await page.close()


async def test_sign_in_survives_a_reload_with_no_token_readable_by_scripts(
    browser: Browser, live: str, runtime: Runtime
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors = watch_console(page)
    email = f"cookie-{uuid.uuid4().hex[:6]}@lupin.test"
    await sign_up(page, live, runtime, email)
    await page.goto(f"{live}/app/")
    await expect(page.locator("body")).to_contain_text(email)
    # the refresh token is an HttpOnly, Secure, SameSite=Strict cookie for the auth routes only
    [cookie] = [c for c in await context.cookies() if c["name"] == "fd_refresh"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth"
    # and no token is anywhere a script can read it
    readable = await page.evaluate(
        "() => JSON.stringify([document.cookie, {...localStorage}, {...sessionStorage}])"
    )
    assert "fd_refresh" not in readable and "eyJ" not in readable and cookie["value"] not in readable
    # a reload (new page, empty memory) stays signed in through the cookie
    await page.reload()
    await expect(page).to_have_url(f"{live}/app/")
    await expect(page.locator("body")).to_contain_text(email)
    response = await page.goto(f"{live}/app/settings/")
    assert response is not None
    csp = await response.header_value("content-security-policy")
    assert csp and "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    await expect(page.locator("[name=bot_name]")).to_be_visible()
    # signing out clears the cookie and the session: a reload lands on the sign-in page
    await page.click("[data-testid=logout]")
    await expect(page).to_have_url(f"{live}/login/")
    assert [c for c in await context.cookies() if c["name"] == "fd_refresh"] == []
    await page.goto(f"{live}/app/")
    await expect(page).to_have_url(re.compile(rf"{re.escape(live)}/login/"))
    assert errors == []
    await context.close()


class FramingSite(LoopbackServer):
    """Another site that puts the dashboard's sign-in page in a frame (clickjacking)."""

    name = "framing-site"

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def _app(self) -> Starlette:
        async def home(_: object) -> HTMLResponse:
            return HTMLResponse(
                "<!doctype html><html lang='en'><head><title>Win a prize</title></head><body>"
                f"<iframe id='victim' src='{self.target}' width='800' height='600'></iframe></body></html>"
            )

        return Starlette(routes=[Route("/", home)])


async def test_another_site_cannot_frame_the_dashboard(browser: Browser, live: str) -> None:
    with FramingSite(f"{live}/login/") as site:
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{site.port}/")
        await page.wait_for_load_state("networkidle")
        # the browser refuses to render the page in the frame: no sign-in form to click on
        await expect(page.frame_locator("#victim").locator("[name=email]")).to_have_count(0)
        await page.close()
    # the same page opened directly has its form
    page = await browser.new_page()
    await page.goto(f"{live}/login/")
    await expect(page.locator("[name=email]")).to_have_count(1)
    await page.close()


async def test_a_dialog_keeps_focus_inside_and_gives_it_back(
    browser: Browser, live: str, runtime: Runtime
) -> None:
    """The one Dialog (a native modal <dialog>): focus moves in, Tab stays in, Escape closes it
    without acting, and focus returns to the button that opened it."""
    email = f"focus-{uuid.uuid4().hex[:6]}@f.test"
    async with httpx.AsyncClient(base_url=live) as api:
        owner = await api_signup(api, runtime, "Focus Shop", email)
        r = await api.post(
            "/api/v1/customer/api-keys",
            headers={"Authorization": f"Bearer {owner['access_token']}"},
            json={"name": "Server key", "type": "secret"},
        )
        assert r.status_code == 201, r.text
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
    await _login(page, live, email)
    await expect(page).to_have_url(f"{live}/app/")
    await page.goto(f"{live}/app/keys/")
    revoke = page.locator("[data-testid=key-revoke]").first
    await revoke.focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Revoke this key?")
    await expect(dialog).to_be_visible()
    in_dialog = "() => !!document.activeElement && !!document.activeElement.closest('dialog[open]')"
    assert await page.evaluate(in_dialog)
    for _ in range(5):
        await page.keyboard.press("Tab")
        assert await page.evaluate(in_dialog)
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    assert await page.evaluate("() => document.activeElement?.dataset.testid") == "key-revoke"
    await expect(page.locator("[data-testid=key-row]", has_text="revoked")).to_have_count(0)
    assert errors == []
