"""Crisp: signed hooks in, replies out through the (fake) Crisp REST API, nothing lost."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from frontdesk.app import create_app
from frontdesk.channels.crisp import service, tasks
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.models import AuditEvent, Conversation, CrispDelivery, CrispEvent, CrispIntegration
from frontdesk.runtime import Runtime
from tests import factories
from tests.conftest import ADMIN_TOKEN
from tests.fakes.crisp_server import FakeCrisp, message_event, signed_hook

WEBSITE = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc"
IDENTIFIER, KEY, SECRET = "plugin-identifier-1", "plugin-key-1", "signing-secret-1"
HOOK = "/api/v1/crisp/webhook"


@pytest.fixture(scope="module")
def fake_crisp() -> Iterator[FakeCrisp]:
    with FakeCrisp(website_id=WEBSITE, identifier=IDENTIFIER, key=KEY) as fake:
        yield fake


@dataclass
class Crisp:
    client: httpx.AsyncClient
    runtime: Runtime
    fake: FakeCrisp
    tenant: factories.TenantWithKey
    webhook: str  # path and query of the tenant's web hook URL
    website: str  # this test's Crisp website (the fake accepts only it)

    async def hook(
        self, body: dict, *, secret: str = SECRET, url: str | None = None, headers: dict | None = None
    ) -> httpx.Response:
        raw, signed = signed_hook(secret, body)
        return await self.client.post(url or self.webhook, content=raw, headers={**signed, **(headers or {})})

    async def count(self, model: type, *criteria: object) -> int:
        async with unit_of_work(self.runtime.db, tenant_id=self.tenant.id) as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def connect(client: httpx.AsyncClient, headers: dict[str, str], **fields: str) -> httpx.Response:
    body = {"website_id": WEBSITE, "identifier": IDENTIFIER, "key": KEY, "signing_secret": SECRET, **fields}
    return await client.put("/api/v1/integrations/crisp", headers=headers, json=body)


@pytest.fixture
async def crisp(settings, fake_crisp: FakeCrisp) -> AsyncIterator[Crisp]:
    fake_crisp.reset()
    fake_crisp.website_id = website = str(uuid.uuid4())
    app = create_app(settings.model_copy(update={"crisp_api_url": fake_crisp.base_url}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        runtime: Runtime = app.state.runtime
        tenant = await factories.tenant_with_key(runtime, name="Gamma Garden")
        r = await connect(client, tenant.headers, website_id=website)
        assert r.status_code == 200, r.text
        webhook = r.json()["webhook_url"].removeprefix("http://testserver")
        yield Crisp(client, runtime, fake_crisp, tenant, webhook, website)


async def test_a_signed_visitor_message_gets_a_reply_in_crisp(crisp: Crisp) -> None:
    await crisp.client.post(
        "/api/v1/knowledge",
        headers=crisp.tenant.headers,
        json={"name": "Hours", "content": "# Opening hours\nWe are open Saturday from 10:00 to 14:00."},
    )
    r = await crisp.hook(message_event(crisp.website, "session_visitor_1", "Are you open on Saturday?"))
    assert r.status_code == 200 and r.json() == {"status": "accepted"}

    async def replied() -> bool:
        return len(crisp.fake.messages) == 1

    assert await eventually(replied)
    [sent] = crisp.fake.messages
    assert sent.session_id == "session_visitor_1" and "10:00" in sent.content
    assert crisp.fake.refused == []  # path, Basic auth, X-Crisp-Tier and body were all right
    # the conversation is the visitor's, on the crisp channel, with both sides
    transcript = await crisp.client.get(
        "/api/v1/conversations", headers=crisp.tenant.headers, params={"channel": "crisp"}
    )
    [conversation] = transcript.json()["items"]
    detail = await crisp.client.get(
        f"/api/v1/conversations/{conversation['id']}", headers=crisp.tenant.headers
    )
    assert [m["role"] for m in detail.json()["messages"]] == ["user", "assistant"]

    async def marked_sent() -> bool:
        return await crisp.count(CrispDelivery, CrispDelivery.status == "sent") == 1

    assert await eventually(marked_sent)
    status = (await crisp.client.get("/api/v1/integrations/crisp", headers=crisp.tenant.headers)).json()
    assert status["deliveries"] == {"pending": 0, "sent": 1, "failed": 0} and status["last_event_at"]


@pytest.mark.parametrize(
    "tamper",
    ["unsigned", "forged", "other secret", "stale", "body changed", "not hex", "nan timestamp"],
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(crisp: Crisp, tamper: str) -> None:
    body = message_event(crisp.website, "session_forged", "hello")
    raw, headers = signed_hook(SECRET, body)
    if tamper == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif tamper == "forged":
        headers["X-Crisp-Signature"] = "0" * 64
    elif tamper == "other secret":
        raw, headers = signed_hook("not-the-secret", body)
    elif tamper == "stale":  # a captured request replayed ten minutes later
        raw, headers = signed_hook(SECRET, body, timestamp=int(time.time()) - 600)
    elif tamper == "body changed":
        raw = raw.replace(b"hello", b"HELLO")
    elif tamper == "not hex":
        headers["X-Crisp-Signature"] = "z" * 64
    elif tamper == "nan timestamp":
        headers["X-Crisp-Request-Timestamp"] = "nan"
    r = await crisp.client.post(crisp.webhook, content=raw, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await crisp.count(CrispEvent) == 0 and await crisp.count(Conversation) == 0
    await asyncio.sleep(0.2)
    assert crisp.fake.messages == []


async def test_a_hook_delivered_twice_gets_one_reply(crisp: Crisp) -> None:
    body = message_event(crisp.website, "session_twice", "Do you deliver to Lyon?")
    raw, headers = signed_hook(SECRET, body)
    first = await crisp.client.post(crisp.webhook, content=raw, headers=headers)
    again = await crisp.client.post(crisp.webhook, content=raw, headers=headers)  # Crisp's retry
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")

    async def replied() -> bool:
        return len(crisp.fake.messages) >= 1

    assert await eventually(replied)
    await asyncio.sleep(0.3)
    assert len(crisp.fake.messages) == 1
    assert await crisp.count(CrispEvent) == 1 and await crisp.count(CrispDelivery) == 1


async def test_a_crisp_outage_leaves_the_reply_queued_then_delivered(crisp: Crisp) -> None:
    crisp.fake.down = True
    assert (
        await crisp.hook(message_event(crisp.website, "session_outage", "How much is Pro?"))
    ).status_code == 200

    async def failed_once() -> bool:
        async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
            delivery = await session.scalar(select(CrispDelivery))
            return delivery is not None and delivery.attempts == 1 and delivery.last_error is not None

    assert await eventually(failed_once)
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        delivery = await session.scalar(select(CrispDelivery))
        assert delivery is not None
        assert delivery.status == "pending" and "503" in (delivery.last_error or "")
        assert delivery.next_attempt_at > utcnow()  # backing off, not lost
        assert delivery.content  # the reply itself is kept
    status = (await crisp.client.get("/api/v1/integrations/crisp", headers=crisp.tenant.headers)).json()
    assert status["deliveries"]["pending"] == 1

    # Crisp is back; the periodic sweep finds the reply due and sends it, once
    crisp.fake.down = False
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        await session.execute(update(CrispDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    await tasks.sweep_crisp.kiq()
    await tasks.sweep_crisp.kiq()

    async def delivered() -> bool:
        return await crisp.count(CrispDelivery, CrispDelivery.status == "sent") == 1

    assert await eventually(delivered)
    await asyncio.sleep(0.2)
    assert [m.session_id for m in crisp.fake.messages] == ["session_outage"]


async def test_a_delivery_is_not_sent_twice_when_two_workers_race(crisp: Crisp) -> None:
    crisp.fake.down = True
    await crisp.hook(message_event(crisp.website, "session_race", "Hello, do you sell bikes?"))

    async def pending() -> bool:  # the failed first attempt is recorded (not merely claimed)
        return (
            await crisp.count(
                CrispDelivery, CrispDelivery.attempts == 1, CrispDelivery.last_error.is_not(None)
            )
            == 1
        )

    assert await eventually(pending)
    crisp.fake.down = False
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        await session.execute(update(CrispDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        delivery_id = await session.scalar(select(CrispDelivery.id))
    assert delivery_id is not None
    results = await asyncio.gather(
        *(
            service.deliver(crisp.runtime.db, crisp.runtime.crisp, crisp.tenant.id, delivery_id)
            for _ in range(3)
        )
    )
    # one claim wins (rarely the app's own periodic sweep is the one that gets there first)
    assert results.count("sent") <= 1 and set(results) <= {"sent", "not due"}

    async def posted() -> bool:
        return len(crisp.fake.messages) == 1

    assert await eventually(posted)
    await asyncio.sleep(0.3)
    assert len(crisp.fake.messages) == 1


async def test_an_event_is_answered_once_even_when_its_job_runs_again(crisp: Crisp) -> None:
    assert (
        await crisp.hook(message_event(crisp.website, "s-again", "Do you open on Sunday?"))
    ).status_code == 200

    async def replied() -> bool:
        return await crisp.count(CrispDelivery) == 1

    assert await eventually(replied)
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        event = await session.scalar(select(CrispEvent))
        assert event is not None and event.status == "processed" and event.attempts == 1
        assert event.payload == {}  # the visitor's text lives in the transcript only
    # the sweep or a retried job running it again does nothing
    again = await service.process_event(crisp.runtime.db, crisp.runtime.chat, crisp.tenant.id, event.id)
    assert again == "skipped"
    assert await crisp.count(CrispDelivery) == 1 and await crisp.count(Conversation) == 1


async def test_a_reply_crisp_cannot_take_is_marked_failed(crisp: Crisp) -> None:
    crisp.fake.fail_next(1, status=404)
    await crisp.hook(message_event(crisp.website, "s-gone", "hello there"))

    async def failed() -> bool:
        return await crisp.count(CrispDelivery, CrispDelivery.status == "failed") == 1

    assert await eventually(failed)
    status = (await crisp.client.get("/api/v1/integrations/crisp", headers=crisp.tenant.headers)).json()
    assert status["deliveries"]["failed"] == 1


async def test_an_operator_reply_hands_the_conversation_over(crisp: Crisp) -> None:
    assert (
        await crisp.hook(message_event(crisp.website, "session_op", "Hi there, a question"))
    ).status_code == 200

    async def bot_replied() -> bool:
        return (
            len(crisp.fake.messages) == 1
            and await crisp.count(CrispDelivery, CrispDelivery.status == "sent") == 1
        )

    assert await eventually(bot_replied)
    # Crisp echoes the bot's own reply as an operator message: that is not a human stepping in
    echo = message_event(
        crisp.website,
        "session_op",
        crisp.fake.messages[0].content,
        sender="operator",
        fingerprint=crisp.fake.messages[0].fingerprint,
    )
    assert (await crisp.hook(echo)).json() == {"status": "ignored"}
    # the echo can outrun the commit of the fingerprint: the same text, as message:received
    early_echo = message_event(
        crisp.website,
        "session_op",
        crisp.fake.messages[0].content,
        sender="operator",
        event="message:received",
    )
    assert (await crisp.hook(early_echo)).json() == {"status": "ignored"}
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        assert await session.scalar(select(Conversation.status)) == "open"

    human = message_event(
        crisp.website,
        "session_op",
        "Hello, this is Anna from the team.",
        sender="operator",
        event="message:received",
    )
    assert (await crisp.hook(human)).json() == {"status": "handoff"}
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        assert await session.scalar(select(Conversation.status)) == "handoff"
    # the visitor answers Anna: the bot stays silent
    assert (await crisp.hook(message_event(crisp.website, "session_op", "Thanks Anna!"))).status_code == 200

    async def processed() -> bool:
        return await crisp.count(CrispEvent, CrispEvent.status == "received") == 0

    assert await eventually(processed)
    await asyncio.sleep(0.2)
    assert len(crisp.fake.messages) == 1
    conversation_id = (await crisp.client.get("/api/v1/conversations", headers=crisp.tenant.headers)).json()[
        "items"
    ][0]["id"]
    detail = (
        await crisp.client.get(f"/api/v1/conversations/{conversation_id}", headers=crisp.tenant.headers)
    ).json()
    roles = [(m["role"], bool(m["content"])) for m in detail["messages"]]
    # the silent turn is recorded as an empty assistant message (the chat API's handoff contract)
    assert roles == [
        ("user", True),
        ("assistant", True),
        ("operator", True),
        ("user", True),
        ("assistant", False),
    ]


async def test_the_tenant_is_found_by_token_api_key_or_website(crisp: Crisp) -> None:
    by_key = await crisp.hook(
        message_event(crisp.website, "s-key", "hello"), url=HOOK, headers=crisp.tenant.headers
    )
    by_website = await crisp.hook(message_event(crisp.website, "s-website", "hello"), url=HOOK)
    unknown = await crisp.hook(message_event("0000-unknown-website", "s-x", "hello"), url=HOOK)
    bad_token = await crisp.hook(message_event(crisp.website, "s-x", "hello"), url=f"{HOOK}?token=nope")
    assert (by_key.status_code, by_website.status_code) == (200, 200)
    assert (unknown.status_code, bad_token.status_code) == (404, 404)
    assert await crisp.count(CrispEvent) == 2


async def test_another_tenants_webhook_token_cannot_post_into_this_tenant(crisp: Crisp, fake_crisp) -> None:
    other = await factories.tenant_with_key(crisp.runtime, name="Delta Dental")
    crisp.fake.grant("1f2e3d4c-0000-4000-8000-000000000001", IDENTIFIER, KEY)
    r = await connect(
        crisp.client, other.headers, website_id="1f2e3d4c-0000-4000-8000-000000000001", signing_secret="delta"
    )
    other_webhook = r.json()["webhook_url"].removeprefix("http://testserver")
    assert other_webhook != crisp.webhook
    # an event of this tenant's website through the other tenant's URL: refused either way
    signed_with_ours = await crisp.hook(message_event(crisp.website, "s-cross", "hi"), url=other_webhook)
    signed_with_theirs = await crisp.hook(
        message_event(crisp.website, "s-cross", "hi"), url=other_webhook, secret="delta"
    )
    assert (signed_with_ours.status_code, signed_with_theirs.status_code) == (401, 404)
    assert await crisp.count(CrispEvent) == 0
    async with unit_of_work(crisp.runtime.db, tenant_id=other.id) as session:
        assert await session.scalar(select(func.count()).select_from(CrispEvent)) == 0


async def test_connection_secrets_are_write_only(crisp: Crisp) -> None:
    status = (await crisp.client.get("/api/v1/integrations/crisp", headers=crisp.tenant.headers)).json()
    assert (
        status["connected"] and status["website_id"] == crisp.website and status["identifier"] == IDENTIFIER
    )
    assert status["has_key"] and status["has_signing_secret"]
    assert KEY not in str(status) and SECRET not in str(status)
    assert status["webhook_url"].startswith("http://testserver/api/v1/crisp/webhook?token=")
    # an update without secrets keeps them (Crisp confirms the new identifier with the stored
    # key); hooks still verify with the stored secret
    crisp.fake.grant(crisp.website, "renamed-identifier", KEY)
    r = await crisp.client.put(
        "/api/v1/integrations/crisp",
        headers=crisp.tenant.headers,
        json={"website_id": crisp.website, "identifier": "renamed-identifier"},
    )
    assert r.status_code == 200 and r.json()["identifier"] == "renamed-identifier"
    assert r.json()["webhook_url"] == status["webhook_url"]
    assert (await crisp.hook(message_event(crisp.website, "s-kept", "hello"))).status_code == 200
    # disconnecting stops hooks
    assert (
        await crisp.client.delete("/api/v1/integrations/crisp", headers=crisp.tenant.headers)
    ).status_code == 204
    assert (await crisp.hook(message_event(crisp.website, "s-gone", "hello"))).status_code == 404
    after = (await crisp.client.get("/api/v1/integrations/crisp", headers=crisp.tenant.headers)).json()
    assert after["connected"] is False and after["webhook_url"] is None and after["website_id"] is None


async def test_connect_explains_bad_input(client: httpx.AsyncClient, tenant_a) -> None:
    first_without_secrets = await client.put(
        "/api/v1/integrations/crisp",
        headers=tenant_a.headers,
        json={"website_id": WEBSITE, "identifier": "x"},
    )
    assert first_without_secrets.status_code == 400
    assert "signing secret" in first_without_secrets.json()["detail"]
    bad_website = await connect(client, tenant_a.headers, website_id="not a website id!")
    assert bad_website.status_code == 422
    assert (await client.get("/api/v1/integrations/crisp", headers=tenant_a.headers)).json()[
        "connected"
    ] is False


async def test_a_key_without_config_scope_cannot_connect(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    _, chat_only = await factories.create_key(runtime, tenant, scopes=["chat:write"])
    r = await connect(client, {"X-API-Key": chat_only})
    assert r.status_code == 403


def test_webhook_tokens_differ_per_integration_and_secret() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert service.webhook_token("k" * 40, a) == service.webhook_token("k" * 40, a)
    assert service.webhook_token("k" * 40, a) != service.webhook_token("k" * 40, b)
    assert service.webhook_token("k" * 40, a) != service.webhook_token("j" * 40, a)


# --- who owns a Crisp website: Crisp says, through the tenant's own plugin credentials ---------


async def status_of(crisp: Crisp, tenant: factories.TenantWithKey) -> dict:
    r = await crisp.client.get("/api/v1/integrations/crisp", headers=tenant.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def crisp_audit(crisp: Crisp, tenant_id: uuid.UUID) -> list[AuditEvent]:
    async with unit_of_work(crisp.runtime.db, tenant_id=tenant_id) as session:
        return list(
            (await session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("crisp.")))).all()
        )


@pytest.mark.parametrize("attempt", ["wrong key", "own plugin, not on this website", "unknown website"])
async def test_a_squatter_cannot_connect_a_website_crisp_does_not_confirm(
    crisp: Crisp, attempt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack: an account types in someone else's Crisp website id (it is public: it is in
    the site's chat snippet) to claim it first. Crisp must vouch for the credentials."""
    website = str(uuid.uuid4())  # the real owner's website, not connected to Frontdesk yet
    crisp.fake.grant(website, "owner-plugin", "owner-key")
    crisp.fake.grant(str(uuid.uuid4()), "squatter-plugin", "squatter-key")  # a real plugin of theirs
    guess = {
        "wrong key": {"identifier": "owner-plugin", "key": "guessed-key-8841"},
        "own plugin, not on this website": {"identifier": "squatter-plugin", "key": "squatter-key"},
        "unknown website": {"identifier": "squatter-plugin", "key": "squatter-key"},
    }[attempt]
    target = str(uuid.uuid4()) if attempt == "unknown website" else website
    squatter = await factories.tenant_with_key(crisp.runtime, name="Squatter Shop")
    capsys.readouterr()
    r = await connect(crisp.client, squatter.headers, website_id=target, signing_secret="sq", **guess)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "crisp_not_confirmed"
    assert "Crisp did not confirm these credentials for this website" in r.json()["detail"]
    assert crisp.fake.website_lookups[-1] == target  # Crisp was asked, with the squatter's credentials
    assert guess["key"] not in r.text and guess["key"] not in "".join(capsys.readouterr())
    assert (await status_of(crisp, squatter))["connected"] is False
    # nothing changed: the owner connects the website, and its hooks are the owner's
    owner = await factories.tenant_with_key(crisp.runtime, name="Owner Outfitters")
    r = await connect(
        crisp.client, owner.headers, website_id=website, identifier="owner-plugin", key="owner-key"
    )
    assert r.status_code == 200, r.text
    assert r.json()["verified_at"] is not None
    [event] = await crisp_audit(crisp, owner.id)
    assert (event.action, event.target, event.details["took_over"]) == ("crisp.connect", website, False)
    assert await crisp_audit(crisp, squatter.id) == []


async def test_a_squatter_cannot_take_a_connected_website_either(crisp: Crisp) -> None:
    squatter = await factories.tenant_with_key(crisp.runtime, name="Squatter Shop")
    r = await connect(crisp.client, squatter.headers, website_id=crisp.website, key="guessed-key")
    assert r.status_code == 422 and r.json()["code"] == "crisp_not_confirmed"
    assert str(crisp.tenant.id) not in r.text and "Gamma" not in r.text
    status = await status_of(crisp, crisp.tenant)
    assert status["connected"] and status["website_id"] == crisp.website
    r = await crisp.hook(message_event(crisp.website, "s-still-ours", "hello"))
    assert r.status_code == 200 and r.json() == {"status": "accepted"}


async def test_the_owner_takes_over_a_website_another_account_connected_first(crisp: Crisp) -> None:
    """Old data: before connects were verified, a squatter connected the owner's website. The
    owner proves ownership through Crisp and gets it; the squatter's hooks stop reaching it."""
    website = str(uuid.uuid4())
    crisp.fake.grant(website, "owner-plugin", "owner-key")
    squatter = await factories.tenant_with_key(crisp.runtime, name="Squatter Shop")
    integration_id = uuid.uuid4()
    token = service.webhook_token(crisp.runtime.settings.secret_key, integration_id)
    async with unit_of_work(crisp.runtime.db, tenant_id=squatter.id) as session:
        session.add(
            CrispIntegration(
                id=integration_id,
                website_id=website,
                identifier="squatter-plugin",
                api_key="squatter-key",
                signing_secret="squatter-secret",
                webhook_token_hash=service.token_hash(token),
            )
        )
    squatter_url = f"{HOOK}?token={token}"
    before = await crisp.hook(
        message_event(website, "s-before", "hello"), secret="squatter-secret", url=squatter_url
    )
    assert before.status_code == 200 and before.json() == {"status": "accepted"}
    assert (await status_of(crisp, squatter))["verified_at"] is None

    owner = await factories.tenant_with_key(crisp.runtime, name="Owner Outfitters")
    r = await connect(
        crisp.client,
        owner.headers,
        website_id=website,
        identifier="owner-plugin",
        key="owner-key",
        signing_secret="owner-secret",
    )
    assert r.status_code == 200, r.text
    assert r.json()["website_id"] == website and r.json()["verified_at"] is not None
    owner_url = r.json()["webhook_url"].removeprefix("http://testserver")

    # the squatter's connection is gone: its URL, its key and the website id no longer reach it
    after = await crisp.hook(
        message_event(website, "s-after", "hello"), secret="squatter-secret", url=squatter_url
    )
    assert after.status_code == 404
    by_key = await crisp.hook(
        message_event(website, "s-after-key", "hello"),
        secret="squatter-secret",
        url=HOOK,
        headers=squatter.headers,
    )
    assert by_key.status_code == 404
    by_website = await crisp.hook(
        message_event(website, "s-after-site", "hello"), secret="squatter-secret", url=HOOK
    )
    assert by_website.status_code == 401  # the website is the owner's now: the owner's secret signs
    assert (await status_of(crisp, squatter))["connected"] is False
    async with unit_of_work(crisp.runtime.db, tenant_id=squatter.id) as session:
        assert await session.scalar(select(func.count()).select_from(CrispEvent)) == 1  # only "before"
    # the owner's hooks are the owner's
    for url in (owner_url, HOOK):
        r = await crisp.hook(
            message_event(website, f"s-owner-{len(url)}", "hello"), secret="owner-secret", url=url
        )
        assert r.status_code == 200 and r.json() == {"status": "accepted"}, r.text
    async with unit_of_work(crisp.runtime.db, tenant_id=owner.id) as session:
        assert await session.scalar(select(func.count()).select_from(CrispEvent)) == 2

    # both sides are on the record; neither learns who the other is
    [taken] = await crisp_audit(crisp, squatter.id)
    assert (taken.action, taken.target, taken.actor) == ("crisp.taken_over", website, "system:crisp")
    assert str(owner.id) not in str(taken.details) and "Owner" not in str(taken.details)
    [connected] = await crisp_audit(crisp, owner.id)
    assert (connected.action, connected.target, connected.details["took_over"]) == (
        "crisp.connect",
        website,
        True,
    )
    assert str(squatter.id) not in str(connected.details)


async def test_crisp_unreachable_saves_nothing(crisp: Crisp) -> None:
    crisp.fake.down = True
    newcomer = await factories.tenant_with_key(crisp.runtime, name="Newcomer Nursery")
    website = str(uuid.uuid4())
    crisp.fake.grant(website, "new-plugin", "new-key")
    r = await connect(
        crisp.client, newcomer.headers, website_id=website, identifier="new-plugin", key="new-key"
    )
    assert r.status_code == 503 and r.json()["code"] == "crisp_unavailable", r.text
    assert r.headers["retry-after"] == "60"
    assert "new-key" not in r.text
    assert (await status_of(crisp, newcomer))["connected"] is False
    # an update during the outage changes nothing either: hooks still verify with the old secret
    r = await connect(
        crisp.client, crisp.tenant.headers, website_id=crisp.website, signing_secret="new-secret"
    )
    assert r.status_code == 503
    crisp.fake.down = False
    assert (await crisp.hook(message_event(crisp.website, "s-outage-kept", "hello"))).status_code == 200
    r = await connect(
        crisp.client, newcomer.headers, website_id=website, identifier="new-plugin", key="new-key"
    )
    assert r.status_code == 200, r.text


async def test_a_connection_made_before_verification_is_verified_by_a_delivered_reply(crisp: Crisp) -> None:
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        await session.execute(update(CrispIntegration).values(verified_at=None))
    assert (await status_of(crisp, crisp.tenant))["verified_at"] is None
    await crisp.hook(message_event(crisp.website, "s-legacy", "Are you open today?"))

    async def verified() -> bool:
        return (await status_of(crisp, crisp.tenant))["verified_at"] is not None

    assert await eventually(verified)
    assert len(crisp.fake.messages) == 1


async def test_an_event_that_keeps_failing_is_set_aside_then_requeued_by_an_admin(
    crisp: Crisp, monkeypatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model is down")

    monkeypatch.setattr(crisp.runtime.chat, "reply", broken)
    await crisp.hook(message_event(crisp.website, "s-requeue", "Can I book a table?"))

    async def failed_once() -> bool:
        return (
            await crisp.count(CrispEvent, CrispEvent.attempts == 1, CrispEvent.last_error.is_not(None)) == 1
        )

    assert await eventually(failed_once)
    async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
        event = await session.scalar(select(CrispEvent))
        assert event is not None and event.status == "received" and event.next_attempt_at > utcnow()
        event_id = event.id
    outcomes = []
    for _ in range(service.MAX_EVENT_ATTEMPTS - 1):  # each backoff runs out; the job runs again
        async with unit_of_work(crisp.runtime.db, tenant_id=crisp.tenant.id) as session:
            await session.execute(update(CrispEvent).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        outcomes.append(
            await service.process_event(crisp.runtime.db, crisp.runtime.chat, crisp.tenant.id, event_id)
        )
    assert outcomes == ["retrying"] * (service.MAX_EVENT_ATTEMPTS - 2) + ["failed"]
    assert await crisp.count(CrispEvent, CrispEvent.status == "failed") == 1
    assert crisp.fake.messages == []

    monkeypatch.undo()  # the model is back
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    r = await crisp.client.post(f"/api/v1/admin/webhook-events/crisp/{event_id}/requeue", headers=admin)
    assert r.status_code == 204

    async def answered() -> bool:
        return (
            len(crisp.fake.messages) == 1
            and await crisp.count(CrispEvent, CrispEvent.status == "processed") == 1
        )

    assert await eventually(answered)
    assert crisp.fake.messages[0].session_id == "s-requeue"
