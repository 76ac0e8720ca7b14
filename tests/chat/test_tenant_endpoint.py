"""A hostile tenant against the platform through its own LLM endpoint setting (issue 12):
the deployment's key never follows the tenant's base URL, the URL cannot reach private
addresses, failures do not say what answered, and one tenant cannot open every tenant's
circuit breaker or ask for unbounded replies."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.db.session import unit_of_work
from frontdesk.kit import generations
from frontdesk.runtime import Runtime
from frontdesk.tenants import bot_config
from frontdesk.tenants.bot_config import BotConfigIn
from tests import factories
from tests.fakes.loopback import LoopbackServer
from tests.fakes.openai_server import FakeOpenAI

DEPLOYMENT_KEY = "sk-deployment-canary"


@contextlib.asynccontextmanager
async def platform(settings: Settings, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    application = create_app(settings.model_copy(update={"llm_max_retries": 0, **overrides}))
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client, application.state.runtime


async def store_config(runtime: Runtime, tenant_id: uuid.UUID, llm: dict[str, Any]) -> None:
    """A configuration saved before these checks existed (no save-time validation)."""
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        await bot_config.save(session, BotConfigIn.model_validate({"llm": llm}), api_key_sent=True)
    await generations.bump(runtime.cache, tenant_id, generations.CONFIG)


async def chat(client: httpx.AsyncClient, headers: dict[str, str], message: str = "hello?") -> dict:
    r = await client.post(
        "/api/v1/chat", headers=headers, json={"session_id": uuid.uuid4().hex, "message": message}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def transcript_meta(client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str) -> dict:
    r = await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    return r.json()["messages"][-1]["meta"]


async def test_the_deployment_key_never_goes_to_a_tenant_base_url(settings: Settings) -> None:
    with FakeOpenAI() as deployment, FakeOpenAI() as listener:
        async with platform(
            settings,
            openai_api_key=SecretStr(DEPLOYMENT_KEY),
            openai_base_url=deployment.base_url,
            outbound_allow=[f"127.0.0.1:{listener.port}"],  # reachable: this is about the key
        ) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Mallory")
            r = await client.put(
                "/api/v1/config", headers=tenant.headers, json={"llm": {"base_url": listener.base_url}}
            )
            assert r.status_code == 422 and "api_key" in r.json()["detail"]
            # a configuration stored before the check: still never the deployment's key
            await store_config(runtime, tenant.id, {"base_url": listener.base_url})
            body = await chat(client, tenant.headers)
            assert body["reply"] and not body["reply"].startswith("FAKE-LLM")  # the offline answer
            assert listener.requests == []
            # with its own key, the tenant's endpoint gets that key and nothing else
            await store_config(runtime, tenant.id, {"base_url": listener.base_url, "api_key": "sk-own"})
            await chat(client, tenant.headers)
            assert [r.bearer for r in listener.requests] == ["sk-own"]
    assert all(r.bearer != DEPLOYMENT_KEY for r in listener.requests)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:{port}/v1",
        "http://localhost:{port}/v1",
        "http://0x7f000001:{port}/v1",
        "http://[::ffff:127.0.0.1]:{port}/v1",
        "http://169.254.169.254/latest",
        "http://u:p@example.com/v1",
    ],
)
async def test_a_tenant_base_url_cannot_reach_private_addresses(settings: Settings, base_url: str) -> None:
    with FakeOpenAI() as internal:
        url = base_url.format(port=internal.port)
        async with platform(settings) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Mallory")
            r = await client.put(
                "/api/v1/config", headers=tenant.headers, json={"llm": {"base_url": url, "api_key": "sk-x"}}
            )
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == "llm.base_url"
            await store_config(runtime, tenant.id, {"base_url": url, "api_key": "sk-x"})
            body = await chat(client, tenant.headers)
            meta = await transcript_meta(client, tenant.headers, body["conversation_id"])
        assert internal.requests == []
        assert meta["fallback"] == "the model endpoint failed"


async def test_failures_do_not_tell_an_open_port_from_a_closed_one(settings: Settings) -> None:
    """The transcript was a port scanner: it stored the socket error's kind."""
    with FakeOpenAI() as open_port:
        async with platform(settings) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Mallory")
            seen = []
            for port in (open_port.port, 9):  # something answers on one, nothing on the other
                await store_config(
                    runtime, tenant.id, {"base_url": f"http://127.0.0.1:{port}/v1", "api_key": "sk-x"}
                )
                body = await chat(client, tenant.headers)
                seen.append(await transcript_meta(client, tenant.headers, body["conversation_id"]))
    assert seen[0]["fallback"] == seen[1]["fallback"] == "the model endpoint failed"
    assert open_port.requests == []


async def test_one_tenant_cannot_open_the_breaker_of_every_tenant(settings: Settings) -> None:
    with FakeOpenAI() as shared:
        async with platform(
            settings, openai_api_key=SecretStr(DEPLOYMENT_KEY), openai_base_url=shared.base_url
        ) as (client, runtime):
            mallory = await factories.tenant_with_key(runtime, name="Mallory")
            alice = await factories.tenant_with_key(runtime, name="Alice")
            shared.fail_next(5, status=503)  # Mallory's five requests fail at the endpoint
            for _ in range(5):
                await chat(client, mallory.headers)
            before = len(shared.chat_requests)
            assert not (await chat(client, mallory.headers))["reply"].startswith("FAKE-LLM")
            assert len(shared.chat_requests) == before  # Mallory's breaker is open: no call
            assert (await chat(client, alice.headers, "still there?"))["reply"].startswith("FAKE-LLM")
            assert len(shared.chat_requests) == before + 1


async def test_reply_length_is_bounded_by_the_plan(settings: Settings) -> None:
    with FakeOpenAI() as shared:
        async with platform(
            settings, openai_api_key=SecretStr(DEPLOYMENT_KEY), openai_base_url=shared.base_url
        ) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Mallory")
            r = await client.put("/api/v1/config", headers=tenant.headers, json={"llm": {"max_tokens": 4000}})
            assert r.status_code == 200
            await chat(client, tenant.headers)
    assert shared.chat_requests[-1].body["max_tokens"] == 500  # the free plan's max_output_tokens


async def test_a_tenant_endpoint_gets_only_the_tenants_key_and_plain_headers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK adds the deployment's organisation and project from the environment, and details
    of the platform: none of it may follow the tenant's URL."""
    monkeypatch.setenv("OPENAI_ORG_ID", "org-deployment-canary")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-deployment-canary")
    with FakeOpenAI() as listener:
        async with platform(settings, outbound_allow=[f"127.0.0.1:{listener.port}"]) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Mallory")
            await store_config(runtime, tenant.id, {"base_url": listener.base_url, "api_key": "sk-own"})
            assert (await chat(client, tenant.headers))["reply"].startswith("FAKE-LLM")
    (received,) = listener.chat_requests
    assert received.bearer == "sk-own"
    assert "canary" not in str(received.headers)
    assert not [name for name in received.headers if name.startswith(("openai-", "x-stainless"))]


class Redirector(LoopbackServer):
    """An "OpenAI endpoint" that answers every call with a 307 to ``target``."""

    name = "redirector"

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target, self.hits = target, 0

    def _app(self) -> Starlette:
        async def redirect(request: Request) -> Response:
            self.hits += 1
            return RedirectResponse(self.target, status_code=307)

        return Starlette(routes=[Route("/v1/chat/completions", redirect, methods=["POST"])])


async def test_a_tenant_endpoint_cannot_redirect_the_call(settings: Settings) -> None:
    """A 307 from the tenant's endpoint to an internal address is not followed by the SDK."""
    with FakeOpenAI() as internal, Redirector("") as hop:
        hop.target = f"{internal.base_url}/chat/completions"
        async with platform(settings, outbound_allow=[f"127.0.0.1:{hop.port}"]) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Mallory")
            base_url = f"http://127.0.0.1:{hop.port}/v1"
            await store_config(runtime, tenant.id, {"base_url": base_url, "api_key": "sk-own"})
            body = await chat(client, tenant.headers)
            meta = await transcript_meta(client, tenant.headers, body["conversation_id"])
    assert hop.hits >= 1 and internal.requests == []
    assert meta["fallback"] == "the model endpoint failed"


async def test_the_write_only_key_does_not_follow_a_new_base_url(settings: Settings) -> None:
    """Whoever may edit the config must not read the stored key out by moving the endpoint."""
    with FakeOpenAI() as real, FakeOpenAI() as listener:
        allow = [f"127.0.0.1:{real.port}", f"127.0.0.1:{listener.port}"]
        async with platform(settings, outbound_allow=allow) as (client, runtime):
            tenant = await factories.tenant_with_key(runtime, name="Victim")
            r = await client.put(
                "/api/v1/config",
                headers=tenant.headers,
                json={"llm": {"base_url": real.base_url, "api_key": "sk-v"}},
            )
            assert r.status_code == 200
            r = await client.put(
                "/api/v1/config", headers=tenant.headers, json={"llm": {"base_url": listener.base_url}}
            )
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "llm.api_key"
            await chat(client, tenant.headers)
    assert listener.requests == [] and [r.bearer for r in real.chat_requests] == ["sk-v"]


@pytest.mark.parametrize("key", ["sk-clé-spéciale", "sk live key", "sk-\u2028line"])
async def test_an_llm_key_that_cannot_go_in_a_header_is_refused_when_saved(
    client: httpx.AsyncClient, key: str
) -> None:
    """A key is sent in the Authorization header: one that HTTP cannot carry would fail every
    answer and every embedding job later, so it is refused at once, and nothing is saved."""
    tenant = await factories.signup(client)
    r = await client.put("/api/v1/config", headers=tenant.headers, json={"llm": {"api_key": key}})
    assert r.status_code == 422 and "printable ASCII" in r.text
    config = (await client.get("/api/v1/config", headers=tenant.headers)).json()
    assert config["llm"]["api_key_set"] is False
    ok = await client.put("/api/v1/config", headers=tenant.headers, json={"llm": {"api_key": "sk-test_1234"}})
    assert ok.status_code == 200 and ok.json()["llm"]["api_key_set"] is True
