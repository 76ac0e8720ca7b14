"""Secrets at rest, as a thief of the database would try: a tenant's LLM key and Crisp
credentials, saved through the API, are nowhere in the database in plaintext, yet the chat
and Crisp still use them; rotation moves every secret to a new key, after which the old key
can be dropped (and alone no longer reads anything)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.app import create_app
from frontdesk.config import Settings, new_encryption_key
from frontdesk.models import Base
from frontdesk.privacy.encryption import Keyring
from frontdesk.privacy.rotation import rotate
from frontdesk.runtime import Runtime
from tests import factories
from tests.conftest import BACKEND
from tests.fakes.crisp_server import FakeCrisp, message_event, signed_hook
from tests.fakes.openai_server import FakeOpenAI

OLD, NEW, OTHER = new_encryption_key(), new_encryption_key(), new_encryption_key()
WEBSITE = str(uuid.uuid4())
IDENTIFIER = "plugin-identifier-canary"
CANARY_LLM = "sk-canary-" + uuid.uuid4().hex
CANARY_KEY = "crisp-key-canary-" + uuid.uuid4().hex
CANARY_SECRET = "crisp-secret-canary-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(reply="answered with the tenant's own key") as fake:
        yield fake


@pytest.fixture(scope="module")
def fake_crisp() -> Iterator[FakeCrisp]:
    with FakeCrisp(website_id=WEBSITE, identifier=IDENTIFIER, key=CANARY_KEY) as fake:
        yield fake


@dataclass
class App:
    client: httpx.AsyncClient
    runtime: Runtime


@pytest.fixture
def start(settings: Settings, runtime: Runtime, fake_llm: FakeOpenAI, fake_crisp: FakeCrisp):
    """``async with start(*keys) as app``: the app with FRONTDESK_ENCRYPTION_KEYS = keys (on the
    test database; ``runtime`` so that the tenants are deleted after the test)."""
    fake_llm.reset()
    fake_crisp.reset()
    fake_crisp.grant(WEBSITE, IDENTIFIER, CANARY_KEY)  # Crisp confirms the canary plugin token

    @contextlib.asynccontextmanager
    async def run(*keys: str) -> AsyncIterator[App]:
        configured = settings.model_copy(
            update={
                "encryption_keys": SecretStr(",".join(keys)),
                "openai_api_key": SecretStr("sk-deployment"),
                "openai_base_url": fake_llm.base_url,
                "llm_max_retries": 0,
                "crisp_api_url": fake_crisp.base_url,
            }
        )
        application = create_app(configured)
        transport = httpx.ASGITransport(app=application)
        async with (
            application.router.lifespan_context(application),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield App(client, application.state.runtime)

    return run


async def save_secrets(app: App, tenant: factories.TenantWithKey, website: str = WEBSITE) -> None:
    r = await app.client.put("/api/v1/config", headers=tenant.headers, json={"llm": {"api_key": CANARY_LLM}})
    assert r.status_code == 200, r.text
    r = await app.client.put(
        "/api/v1/integrations/crisp",
        headers=tenant.headers,
        json={
            "website_id": website,
            "identifier": IDENTIFIER,
            "key": CANARY_KEY,
            "signing_secret": CANARY_SECRET,
        },
    )
    assert r.status_code == 200, r.text


async def eventually(check: Callable[[], Awaitable[bool] | bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return True
        await asyncio.sleep(0.05)
    return False


async def secrets_still_work(
    app: App, tenant: factories.TenantWithKey, fake_llm: FakeOpenAI, fake_crisp: FakeCrisp
) -> None:
    """The chat calls the model with the tenant's key; a hook signed with the tenant's Crisp
    secret is accepted (and one signed otherwise refused); the reply reaches Crisp with its key."""
    r = await app.client.post(
        "/api/v1/chat", headers=tenant.headers, json={"session_id": "s-" + uuid.uuid4().hex, "message": "hi?"}
    )
    assert r.status_code == 200, r.text
    assert fake_llm.chat_requests[-1].bearer == CANARY_LLM

    status = (await app.client.get("/api/v1/integrations/crisp", headers=tenant.headers)).json()
    path = status["webhook_url"].removeprefix("http://testserver")
    forged, forged_headers = signed_hook("not-the-secret", message_event(WEBSITE, "visitor-x", "hello"))
    assert (await app.client.post(path, content=forged, headers=forged_headers)).status_code == 401
    body, headers = signed_hook(CANARY_SECRET, message_event(WEBSITE, "visitor-" + uuid.uuid4().hex, "hello"))
    r = await app.client.post(path, content=body, headers=headers)
    assert r.status_code == 200 and r.json() == {"status": "accepted"}, r.text
    before = len(fake_crisp.messages)
    assert await eventually(lambda: len(fake_crisp.messages) > before), fake_crisp.refused
    assert fake_crisp.refused == []  # Basic auth with the decrypted plugin key


async def stored_values(database_urls: dict[str, str], tenant_id: uuid.UUID) -> list[str]:
    """What the database holds for the tenant's three secrets, read as its owner."""
    engine = create_async_engine(database_urls["owner"])
    tid = tenant_id.hex if BACKEND == "sqlite" else tenant_id
    async with engine.connect() as conn:
        crisp = (
            await conn.execute(
                text("SELECT api_key, signing_secret FROM crisp_integrations WHERE tenant_id = :t"),
                {"t": tid},
            )
        ).one()
        document = await conn.scalar(
            text(
                "SELECT config_data FROM tenant_configurations WHERE tenant_id = :t AND config_type = 'bot'"
            ),
            {"t": tid},
        )
    await engine.dispose()
    if isinstance(document, str):
        import json

        document = json.loads(document)
    return [crisp.api_key, crisp.signing_secret, document["llm"]["api_key"]]


async def found_in_database(database_urls: dict[str, str], needle: str) -> bool:
    """SQLite: the raw bytes of the database file and its write-ahead log. PostgreSQL: every
    row of every table as text, read as the owner (no RLS)."""
    if BACKEND == "sqlite":
        path = Path(database_urls["owner"].split(":///", 1)[1])
        files = [str(f) for f in (path, path.with_name(path.name + "-wal")) if f.exists()]
        # read by another process: closing a descriptor of the database file in this one would
        # drop the POSIX locks of this process's open SQLite connections (a known way to corrupt
        # a database: later connections here read "malformed" pages)
        found = await asyncio.to_thread(
            subprocess.run, ["grep", "-q", "-a", "-F", "--", needle, *files], check=False
        )
        assert found.returncode in (0, 1), found
        return found.returncode == 0
    engine = create_async_engine(database_urls["owner"])
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            hits = await conn.scalar(
                text(f"SELECT count(*) FROM {table.name} t WHERE strpos(t::text, :needle) > 0"),
                {"needle": needle},
            )
            if hits:
                await engine.dispose()
                return True
    await engine.dispose()
    return False


async def test_canary_secrets_are_not_in_the_database_yet_still_work(
    start, database_urls, fake_llm, fake_crisp
) -> None:
    async with start(OLD) as app:
        tenant = await factories.tenant_with_key(app.runtime, name="Canary Cafe")
        await save_secrets(app, tenant)
        for canary in (CANARY_LLM, CANARY_KEY, CANARY_SECRET):
            assert not await found_in_database(database_urls, canary), canary
        assert await found_in_database(database_urls, "Canary Cafe")  # the search does find plaintext
        stored = await stored_values(database_urls, tenant.id)
        assert all(
            v.startswith(f"enc:v1:{Keyring.from_settings(app.runtime.settings).newest}:") for v in stored
        )
        # the API never shows them either
        config = (await app.client.get("/api/v1/config", headers=tenant.headers)).text
        crisp = (await app.client.get("/api/v1/integrations/crisp", headers=tenant.headers)).text
        assert CANARY_LLM not in config and '"api_key_set":true' in config
        assert CANARY_KEY not in crisp and CANARY_SECRET not in crisp and "enc:v1" not in crisp + config
        await secrets_still_work(app, tenant, fake_llm, fake_crisp)


async def test_rotation_moves_every_secret_to_the_new_key_and_the_old_one_can_go(
    start, settings, database_urls, fake_llm, fake_crisp
) -> None:
    async with start(OLD) as app:
        tenants = [await factories.tenant_with_key(app.runtime, name=f"Rotating {i}") for i in range(2)]
        other_website = str(uuid.uuid4())  # a website holds one tenant
        fake_crisp.grant(other_website, IDENTIFIER, CANARY_KEY)
        await save_secrets(app, tenants[0], website=other_website)
        await save_secrets(app, tenants[1])

    # (plus the suite's own key, for whatever other tests left in the shared database)
    async with start(NEW, OLD, settings.encryption_keys.get_secret_value()) as app:
        lines: list[str] = []
        keyring = Keyring.from_settings(app.runtime.settings)
        done = await rotate(
            app.runtime.db, keyring, batch_size=1, on_batch=lambda p: lines.append(f"{p.table} {p.rows}")
        )
        counts = {p.table: p.rotated for p in done}
        assert counts["crisp_integrations"] >= 4 and counts["tenant_configurations"] >= 2
        assert all(not p.unreadable for p in done)
        assert len(lines) >= 4  # one report per batch of one row
        again = await rotate(app.runtime.db, keyring, batch_size=1)
        assert sum(p.rotated for p in again) == 0  # idempotent
        for tenant in tenants:
            for value in await stored_values(database_urls, tenant.id):
                assert value.startswith(f"enc:v1:{keyring.newest}:")

    async with start(NEW) as app:  # the old key dropped: everything still reads and works
        await secrets_still_work(app, tenants[1], fake_llm, fake_crisp)

    async with start(OLD) as app:  # and the old key alone reads nothing any more
        r = await app.client.get("/api/v1/integrations/crisp", headers=tenants[1].headers)
        assert r.status_code == 500 and r.json()["code"] == "secret_unreadable", r.text
        assert "enc:v1" not in r.text and CANARY_KEY not in r.text


async def test_a_wrong_key_is_a_clear_error_not_garbage(start, fake_llm, fake_crisp) -> None:
    async with start(OLD) as app:
        tenant = await factories.tenant_with_key(app.runtime, name="Wrong Key Wines")
        await save_secrets(app, tenant)
    async with start(OTHER) as app:
        calls = len(fake_llm.chat_requests)
        chat = await app.client.post(
            "/api/v1/chat", headers=tenant.headers, json={"session_id": "s1", "message": "hi?"}
        )
        config = await app.client.get("/api/v1/config", headers=tenant.headers)
        body, headers = signed_hook(CANARY_SECRET, message_event(WEBSITE, "visitor-1", "hello"))
        hook = await app.client.post("/api/v1/crisp/webhook", content=body, headers=headers)
        for r in (chat, config, hook):
            assert r.status_code == 500 and r.json()["code"] == "secret_unreadable", r.text
            assert "decrypted" in r.json()["detail"]
        assert len(fake_llm.chat_requests) == calls  # no garbage key went to the model


async def test_crisp_credentials_must_be_printable_ascii(client: httpx.AsyncClient, tenant_a) -> None:
    """So that the ciphertext always fits its column (500 characters of 4-byte UTF-8 would not)."""
    for field in ("key", "signing_secret"):
        body = {
            "website_id": WEBSITE,
            "identifier": IDENTIFIER,
            "key": "k",
            "signing_secret": "s",
            field: "🔑" * 500,
        }
        r = await client.put("/api/v1/integrations/crisp", headers=tenant_a.headers, json=body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
