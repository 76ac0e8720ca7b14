"""POST /api/v1/chat end to end: the official openai SDK against a fake OpenAI server on loopback."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy import update as sa_update

from frontdesk.billing import plans
from frontdesk.db.session import unit_of_work
from frontdesk.models import Message
from tests import factories
from tests.conftest import app_client
from tests.fakes.openai_server import FakeOpenAI

HOURS = "# Opening hours\nWe are open Monday to Friday from 9:00 to 18:00 and Saturday 10:00 to 14:00."
PRICING = "# Pricing\nThe Pro plan costs 49 euros per month. The Starter plan costs 19 euros per month."


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def llm_client(settings, fake_llm: FakeOpenAI) -> AsyncIterator[httpx.AsyncClient]:
    fake_llm.reset()
    fake_llm.reply = None
    configured = settings.model_copy(
        update={
            "openai_api_key": SecretStr("sk-deployment"),
            "openai_base_url": fake_llm.base_url,
            "llm_max_retries": 0,
        }
    )
    async with app_client(configured) as c:
        yield c


async def add_doc(client: httpx.AsyncClient, headers: dict[str, str], name: str, content: str) -> None:
    r = await client.post("/api/v1/knowledge", headers=headers, json={"name": name, "content": content})
    assert r.status_code == 201, r.text


async def put_config(client: httpx.AsyncClient, headers: dict[str, str], **config: object) -> dict:
    r = await client.put("/api/v1/config", headers=headers, json=config)
    assert r.status_code == 200, r.text
    return r.json()


async def chat(
    client: httpx.AsyncClient, headers: dict[str, str], message: str, session: str = "s1", status: int = 200
) -> dict:
    r = await client.post("/api/v1/chat", headers=headers, json={"session_id": session, "message": message})
    assert r.status_code == status, r.text
    return r.json()


async def test_offline_responder_answers_from_the_knowledge_base(client: httpx.AsyncClient, tenant_a) -> None:
    await add_doc(client, tenant_a.headers, "Hours", HOURS)
    body = await chat(client, tenant_a.headers, "When are you open on Saturday?")
    assert "10:00" in body["reply"]
    assert body["sources"] and body["sources"][0]["document_name"] == "Hours"
    assert body["language"] == "en" and body["handoff"] is False and body["lead"] is None
    transcript = (
        await client.get(f"/api/v1/conversations/{body['conversation_id']}", headers=tenant_a.headers)
    ).json()
    assert [m["role"] for m in transcript["messages"]] == ["user", "assistant"]
    assert transcript["messages"][1]["id"] == body["message_id"]


async def test_the_llm_sees_the_tenant_prompt_and_knowledge_and_no_pii(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    t = await factories.tenant_with_key(runtime, "Alpha Bikes")
    await put_config(
        llm_client, t.headers, instructions="Always mention our free test rides.", tone="cheerful"
    )
    await add_doc(llm_client, t.headers, "Pricing", PRICING)
    message = "How much is the Pro plan? I'm jane.doe@example.com, +1 415 555 2671, card 4111 1111 1111 1111"
    body = await chat(llm_client, t.headers, message)
    assert body["reply"].startswith("FAKE-LLM:")
    sent = fake_llm.chat_requests[-1]
    assert sent.bearer == "sk-deployment"
    prompt = json.dumps(sent.body)
    assert "Always mention our free test rides." in prompt and "cheerful" in prompt
    assert "49 euros" in prompt  # knowledge context
    for pii in ("jane.doe@example.com", "555 2671", "4111 1111 1111 1111", "4111111111111111"):
        assert pii not in prompt
    assert "[EMAIL]" in prompt and "[PHONE]" in prompt and "[CARD]" in prompt


async def test_two_tenants_get_their_own_prompts_and_answers(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    def answer_from_prompt(body: dict) -> str:
        system = body["messages"][0]["content"]
        return (
            "Bikes answer" if "Alpha Bikes" in system else "Bakery answer" if "Beta Bakery" in system else "?"
        )

    fake_llm.reply = answer_from_prompt
    a = await factories.tenant_with_key(runtime, "Alpha Bikes")
    b = await factories.tenant_with_key(runtime, "Beta Bakery")
    await add_doc(llm_client, a.headers, "Bikes", "# Repairs\nWe repair bikes within 48 hours.")
    await add_doc(llm_client, b.headers, "Bread", "# Bread\nOur sourdough is baked at 5am daily.")
    assert (await chat(llm_client, a.headers, "Do you repair bikes?"))["reply"] == "Bikes answer"
    assert (await chat(llm_client, b.headers, "When is the sourdough baked?"))["reply"] == "Bakery answer"
    prompts = [json.dumps(r.body) for r in fake_llm.chat_requests]
    assert "48 hours" in prompts[0] and "sourdough" not in prompts[0]
    assert "sourdough" in prompts[1] and "48 hours" not in prompts[1]


async def test_llm_outage_falls_back_to_the_offline_responder(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    t = await factories.tenant_with_key(runtime)
    await add_doc(llm_client, t.headers, "Hours", HOURS)
    fake_llm.fail_next(10, status=500)
    body = await chat(llm_client, t.headers, "When are you open on Saturday?")
    assert "10:00" in body["reply"] and not body["reply"].startswith("FAKE-LLM")
    r = await llm_client.post(
        "/api/v1/chat?stream=true",
        headers=t.headers,
        json={"session_id": "s2", "message": "When are you open on Saturday?"},
    )
    assert r.status_code == 200 and "10:00" in r.text


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_streaming_reply_as_server_sent_events(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    t = await factories.tenant_with_key(runtime)
    async with llm_client.stream(
        "POST",
        "/api/v1/chat",
        headers={**t.headers, "Accept": "text/event-stream"},
        json={"session_id": "s", "message": "Tell me about your shop"},
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = "".join([chunk async for chunk in r.aiter_text()])
    events = parse_sse(text)
    deltas = [d["text"] for name, d in events if name == "delta"]
    assert len(deltas) > 1
    name, done = events[-1]
    assert name == "done" and done["reply"] == "".join(deltas) == "FAKE-LLM: Tell me about your shop"
    assert {
        "conversation_id",
        "message_id",
        "intent",
        "confidence",
        "language",
        "sources",
        "lead",
        "handoff",
    } <= done.keys()
    assert fake_llm.chat_requests[-1].body["stream"] is True


async def test_handoff_silences_the_bot_until_released(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    t = await factories.tenant_with_key(runtime)
    body = await chat(llm_client, t.headers, "I want to talk to a human please")
    assert body["handoff"] is True and body["intent"] == "human_handoff" and body["reply"]
    calls = len(fake_llm.chat_requests)
    quiet = await chat(llm_client, t.headers, "Hello? What are your prices?")
    assert quiet["handoff"] is True and quiet["reply"] == ""
    assert len(fake_llm.chat_requests) == calls  # no LLM call while a person has the conversation
    r = await llm_client.post(f"/api/v1/conversations/{body['conversation_id']}/release", headers=t.headers)
    assert r.status_code == 200
    back = await chat(llm_client, t.headers, "What are your prices?")
    assert back["handoff"] is False and back["reply"].startswith("FAKE-LLM")


async def test_tenant_handoff_keywords(client: httpx.AsyncClient, tenant_a) -> None:
    await put_config(client, tenant_a.headers, handoff={"keywords": ["lawyer"]})
    body = await chat(client, tenant_a.headers, "My lawyer will read this")
    assert body["handoff"] is True


async def test_contact_details_become_one_lead_per_conversation(client: httpx.AsyncClient, tenant_a) -> None:
    first = await chat(client, tenant_a.headers, "Please contact me, my name is Jane Doe, jane@example.com")
    assert first["lead"] and first["lead"]["status"] == "new"
    second = await chat(client, tenant_a.headers, "Or call me on +44 20 7946 0958")
    assert second["lead"]["id"] == first["lead"]["id"]
    leads = (await client.get("/api/v1/leads", headers=tenant_a.headers)).json()["items"]
    assert len(leads) == 1
    contact = leads[0]["contact"]
    assert contact["email"] == "jane@example.com" and contact["phone"] == "+442079460958"
    assert contact["name"] == "Jane Doe"


async def test_stored_messages_follow_the_pii_policy(client: httpx.AsyncClient, tenant_a) -> None:
    body = await chat(client, tenant_a.headers, "my email is sam@example.com", session="redacted")
    messages = (
        await client.get(f"/api/v1/conversations/{body['conversation_id']}", headers=tenant_a.headers)
    ).json()["messages"]
    assert "sam@example.com" not in json.dumps(messages) and "[EMAIL]" in messages[0]["content"]
    await put_config(client, tenant_a.headers, pii={"store": "raw"})
    body = await chat(client, tenant_a.headers, "my email is sam@example.com", session="raw")
    messages = (
        await client.get(f"/api/v1/conversations/{body['conversation_id']}", headers=tenant_a.headers)
    ).json()["messages"]
    assert messages[0]["content"] == "my email is sam@example.com"


async def test_tenant_defined_pii_patterns(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    t = await factories.tenant_with_key(runtime)
    await put_config(
        llm_client, t.headers, pii={"custom_patterns": [{"name": "order", "pattern": r"ORD-\d{6}"}]}
    )
    await chat(llm_client, t.headers, "Where is order ORD-123456?")
    prompt = json.dumps(fake_llm.chat_requests[-1].body)
    assert "ORD-123456" not in prompt and "[CUSTOM:order]" in prompt


async def test_session_rate_limit_is_429_with_retry_after(client: httpx.AsyncClient, tenant_a) -> None:
    await put_config(client, tenant_a.headers, session_per_minute=2)
    await chat(client, tenant_a.headers, "hi", session="busy")
    await chat(client, tenant_a.headers, "hi again", session="busy")
    r = await client.post(
        "/api/v1/chat", headers=tenant_a.headers, json={"session_id": "busy", "message": "hi"}
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["code"] == "rate_limited" and r.json()["limit"] == "session_per_minute"
    await chat(client, tenant_a.headers, "hi", session="calm")  # another visitor is not affected


async def test_monthly_quota_names_the_limit(client: httpx.AsyncClient, runtime, monkeypatch) -> None:
    free = dataclasses.replace(plans.plan_for("free"), monthly_messages=2)
    monkeypatch.setitem(plans.catalog(), "free", free)
    t = await factories.tenant_with_key(runtime)
    await chat(client, t.headers, "one")
    await chat(client, t.headers, "two")
    r = await client.post("/api/v1/chat", headers=t.headers, json={"session_id": "s1", "message": "three"})
    assert r.status_code == 402
    problem = r.json()
    assert problem["code"] == "quota_exceeded" and problem["limit"] == "monthly_messages"
    assert "Upgrade" in problem["detail"]


async def test_repeated_questions_are_served_from_the_response_cache(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    a = await factories.tenant_with_key(runtime, "A")
    b = await factories.tenant_with_key(runtime, "B")
    await add_doc(llm_client, a.headers, "Hours", HOURS)
    first = await chat(llm_client, a.headers, "When are you open?", session="v1")
    calls = len(fake_llm.chat_requests)
    again = await chat(llm_client, a.headers, "when are you open", session="v2")
    assert again["reply"] == first["reply"] and len(fake_llm.chat_requests) == calls
    await chat(llm_client, b.headers, "When are you open?", session="v1")  # never shared across tenants
    assert len(fake_llm.chat_requests) == calls + 1
    await add_doc(llm_client, a.headers, "More", "# Holidays\nClosed on public holidays.")
    await chat(llm_client, a.headers, "When are you open?", session="v3")  # knowledge changed: miss
    assert len(fake_llm.chat_requests) == calls + 2
    await chat(llm_client, a.headers, "When are you open? mail me at x@example.com", session="v4")
    await chat(llm_client, a.headers, "When are you open? mail me at x@example.com", session="v5")
    assert len(fake_llm.chat_requests) == calls + 4  # PII: never cached


async def test_reply_language_follows_the_visitor_unless_pinned(client: httpx.AsyncClient, tenant_a) -> None:
    body = await chat(client, tenant_a.headers, "Bonjour, quels sont vos horaires d'ouverture le samedi ?")
    assert body["language"] == "fr"
    await put_config(client, tenant_a.headers, language="de")
    body = await chat(client, tenant_a.headers, "What are your opening hours on Saturday?", session="s2")
    assert body["language"] == "de"


async def test_bad_chat_input_is_a_clear_4xx(client: httpx.AsyncClient, tenant_a) -> None:
    r = await client.post(
        "/api/v1/chat", headers=tenant_a.headers, json={"session_id": "s", "message": "x" * 4001}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "message"
    r = await client.post("/api/v1/chat", headers=tenant_a.headers, json={"session_id": "", "message": "hi"})
    assert r.status_code == 422
    r = await client.post("/api/v1/chat", headers=tenant_a.headers, json={"message": "hi"})
    assert r.status_code == 422


async def test_publishable_key_chats_only_from_its_origin(client: httpx.AsyncClient, runtime) -> None:
    t = await factories.tenant_with_key(runtime, type="publishable", allowed_origins=["https://shop.test"])
    ok = await client.post(
        "/api/v1/chat",
        headers={**t.headers, "Origin": "https://shop.test"},
        json={"session_id": "w", "message": "hello"},
    )
    assert ok.status_code == 200
    bad = await client.post(
        "/api/v1/chat",
        headers={**t.headers, "Origin": "https://evil.test"},
        json={"session_id": "w", "message": "hello"},
    )
    assert bad.status_code == 403
    assert (
        await client.get("/api/v1/leads", headers={**t.headers, "Origin": "https://shop.test"})
    ).status_code == 403


async def test_tenant_llm_override_and_write_only_key(settings, runtime) -> None:
    tenant = await factories.tenant_with_key(runtime, name="Alpha Bikes")
    with FakeOpenAI(reply="from the tenant's own endpoint") as own:
        allowed = settings.model_copy(update={"outbound_allow": [f"127.0.0.1:{own.port}"]})
        async with app_client(allowed) as client:
            config = await put_config(
                client, tenant.headers, llm={"base_url": own.base_url, "api_key": "sk-tenant-own"}
            )
            assert config["llm"]["api_key_set"] is True and "sk-tenant-own" not in json.dumps(config)
            reply = (await chat(client, tenant.headers, "anything?"))["reply"]
            assert reply == "from the tenant's own endpoint"
            assert own.chat_requests[-1].bearer == "sk-tenant-own"
            # a later PUT without the key keeps it; "" removes it (with the base URL: it needs one)
            config = await put_config(client, tenant.headers, llm={"base_url": own.base_url})
            assert config["llm"]["api_key_set"]
            config = await put_config(client, tenant.headers, llm={"api_key": ""})
            assert not config["llm"]["api_key_set"]
            got = (await client.get("/api/v1/config", headers=tenant.headers)).text
    assert "sk-tenant-own" not in got


async def test_config_validation(client: httpx.AsyncClient, tenant_a) -> None:
    r = await client.put(
        "/api/v1/config",
        headers=tenant_a.headers,
        json={"intents": [{"name": "shipping", "patterns": ["(unclosed"]}]},
    )
    assert r.status_code == 422 and "regular expression" in r.text
    r = await client.put("/api/v1/config", headers=tenant_a.headers, json={"language": "french"})
    assert r.status_code == 422


async def test_tenant_intent_and_booking_action(client: httpx.AsyncClient, tenant_a) -> None:
    await put_config(
        client,
        tenant_a.headers,
        booking_url="https://cal.example/alpha",
        intents=[{"name": "shipping", "keywords": ["delivery", "shipping"], "action": "answer"}],
    )
    body = await chat(client, tenant_a.headers, "When will my delivery arrive?")
    assert body["intent"] == "shipping"
    body = await chat(client, tenant_a.headers, "Can I book an appointment for Tuesday?", session="s2")
    assert body["intent"] == "booking" and "https://cal.example/alpha" in body["reply"]


async def test_llm_picks_the_intent_when_the_rules_are_unsure(
    llm_client: httpx.AsyncClient, fake_llm: FakeOpenAI, runtime
) -> None:
    def reply(body: dict) -> str:
        system = body["messages"][0]["content"]
        return "warranty" if system.startswith("Classify") else "FAKE-LLM answer"

    fake_llm.reply = reply
    t = await factories.tenant_with_key(runtime)
    message = "The thing I bought from you broke after a week"
    before = await chat(llm_client, t.headers, message, session="off")
    assert before["intent"] != "warranty" and before["confidence"] < 0.5  # the rules can't tell
    await put_config(
        llm_client,
        t.headers,
        llm={"classify_intents": True},
        intents=[{"name": "warranty", "keywords": ["guarantee"], "action": "capture_lead"}],
    )
    calls = len(fake_llm.chat_requests)
    body = await chat(llm_client, t.headers, message, session="on")
    assert body["intent"] == "warranty" and body["lead"] is not None  # the intent's action ran
    classify = fake_llm.chat_requests[calls].body
    assert "warranty" in classify["messages"][0]["content"] and classify["max_tokens"] == 8
    # a message the rules are sure about costs no classification call
    calls = len(fake_llm.chat_requests)
    await chat(llm_client, t.headers, "How much does the Pro plan cost per month?", session="sure")
    assert len(fake_llm.chat_requests) == calls + 1


async def test_message_metadata_follows_the_pii_policy_too(
    client: httpx.AsyncClient, runtime, tenant_a
) -> None:
    async def stored_metadata(session: str) -> dict:
        r = await client.post(
            "/api/v1/chat",
            headers=tenant_a.headers,
            json={
                "session_id": session,
                "message": "hello",
                "metadata": {"page": "/contact", "visitor_email": "sam@example.com", "visits": 3},
            },
        )
        assert r.status_code == 200, r.text
        async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session_:
            meta = await session_.scalar(
                select(Message.meta).where(
                    Message.conversation_id == uuid.UUID(r.json()["conversation_id"]), Message.role == "user"
                )
            )
        return meta["metadata"]

    assert await stored_metadata("redacted-meta") == {
        "page": "/contact",
        "visitor_email": "[EMAIL]",
        "visits": 3,
    }
    await put_config(client, tenant_a.headers, pii={"store": "raw"})
    assert (await stored_metadata("raw-meta"))["visitor_email"] == "sam@example.com"


async def test_vectors_written_after_a_cached_answer_make_it_stale(settings) -> None:
    """An answer cached before a new document's vectors existed is not served once the embedding
    job has written them: the next turn is answered again, with the semantic hits."""
    from frontdesk.kit import generations
    from frontdesk.knowledge.chunks import embed_document
    from frontdesk.models import KnowledgeChunk
    from tests.chat.test_tenant_endpoint import platform
    from tests.knowledge.jobs import settle

    with FakeOpenAI() as fake:
        async with platform(
            settings, openai_api_key=SecretStr("sk-deployment"), openai_base_url=fake.base_url
        ) as (client, runtime):
            t = await factories.tenant_with_key(runtime, "A")
            r = await client.post(
                "/api/v1/knowledge", headers=t.headers, json={"name": "Hours", "content": HOURS}
            )
            doc_id = uuid.UUID(r.json()["id"])
            await settle(runtime)
            # the document is added but its vectors are not written yet (the job is still queued)
            async with unit_of_work(runtime.db, tenant_id=t.id) as session:
                await session.execute(sa_update(KnowledgeChunk).values(embedding=None, embedding_model=None))
            await generations.bump(runtime.cache, t.id, generations.EMBEDDINGS)
            await chat(client, t.headers, "When are you open?", session="v1")
            calls = len(fake.chat_requests)
            await chat(client, t.headers, "When are you open?", session="v2")
            assert len(fake.chat_requests) == calls  # cached

            # the embedding job writes the vectors: the cached answer no longer serves
            assert await embed_document(runtime.db, runtime.cache, runtime.settings, t.id, doc_id) > 0
            await chat(client, t.headers, "When are you open?", session="v3")
            assert len(fake.chat_requests) == calls + 1
