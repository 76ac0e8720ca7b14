"""/api/v1/conversations: the list, the transcript, releasing a handoff — scopes and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from frontdesk.chat import store
from frontdesk.db.session import unit_of_work
from frontdesk.runtime import Runtime
from tests import factories
from tests.chat.test_store import seed

BASE = "/api/v1/conversations"


async def test_list_shows_summaries_and_filters(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a
) -> None:
    old = await seed(
        runtime,
        tenant_a.id,
        "old",
        [("user", "Do you deliver on Sundays?", "delivery")],
        status="closed",
        created_at=datetime.now(UTC) - timedelta(days=30),
    )
    handoff = await seed(
        runtime,
        tenant_a.id,
        "visitor-7",
        [("user", "How much is the Pro plan?", "pricing"), ("assistant", "It is 49 € a month.", None)],
        channel="widget",
        status="handoff",
    )

    r = await client.get(BASE, headers=tenant_a.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["page"], body["limit"]) == (2, 1, 20)
    top = body["items"][0]
    assert top["id"] == str(handoff)
    assert top["session_id"] == "visitor-7" and top["channel"] == "widget" and top["status"] == "handoff"
    assert top["message_count"] == 2
    assert top["last_message"] == "It is 49 € a month." and top["last_message_role"] == "assistant"
    assert top["last_intent"] == "pricing"
    assert top["last_message_at"] and top["created_at"] and top["updated_at"]

    async def listed(**params: object) -> list[str]:
        r = await client.get(BASE, headers=tenant_a.headers, params=params)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    assert await listed(status="closed") == [str(old)]
    assert await listed(channel="widget") == [str(handoff)]
    assert await listed(intent="delivery") == [str(old)]
    assert await listed(q="PRO PLAN") == [str(handoff)]
    assert await listed(q="nobody said this") == []
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert await listed(since=since) == [str(handoff)]
    assert await listed(until=since) == [str(old)]
    assert await listed(limit=1, page=2) == [str(old)]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "archived"},
        {"q": "x" * 201},
        {"q": "a\x00b"},
        {"since": "yesterday"},
        {"since": "0001-01-01T00:00:00+05:00"},
        {"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"},
        {"limit": 101},
        {"page": 0},
    ],
)
async def test_invalid_list_filters_are_422(client: httpx.AsyncClient, tenant_a, params) -> None:
    r = await client.get(BASE, headers=tenant_a.headers, params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "validation_error"


async def test_transcript_shows_every_message_with_its_details(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a
) -> None:
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        conversation = await store.get_or_create_conversation(session, channel="api", session_id="s1")
        await store.add_message(
            session,
            conversation,
            role="user",
            content="Are you open on Saturday?",
            intent="opening_hours",
            meta={"confidence": 0.87, "language": "en"},
        )
        await store.add_message(
            session,
            conversation,
            role="assistant",
            content="Yes, 10:00 to 14:00.",
            intent="opening_hours",
            tokens=120,
            latency_ms=850,
            model="gpt-4o-mini",
            meta={"sources": ["Hours"]},
        )
        await store.add_message(session, conversation, role="operator", content="Hi, Anna here.")
        conversation_id = conversation.id

    r = await client.get(f"{BASE}/{conversation_id}", headers=tenant_a.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == str(conversation_id) and body["session_id"] == "s1" and body["status"] == "open"
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("user", "Are you open on Saturday?"),
        ("assistant", "Yes, 10:00 to 14:00."),
        ("operator", "Hi, Anna here."),
    ]
    user, reply, operator = body["messages"]
    assert user["intent"] == "opening_hours" and user["meta"] == {"confidence": 0.87, "language": "en"}
    assert user["tokens"] is None and user["model"] is None
    assert (reply["tokens"], reply["latency_ms"], reply["model"]) == (120, 850, "gpt-4o-mini")
    assert reply["meta"] == {"sources": ["Hours"]}
    assert operator["intent"] is None and operator["meta"] == {}
    assert user["created_at"] < reply["created_at"] < operator["created_at"]


async def test_unknown_conversation_is_404(client: httpx.AsyncClient, tenant_a) -> None:
    for method, path in [("GET", f"{BASE}/{uuid.uuid4()}"), ("POST", f"{BASE}/{uuid.uuid4()}/release")]:
        r = await client.request(method, path, headers=tenant_a.headers)
        assert r.status_code == 404 and r.json()["detail"] == "No such conversation.", (method, r.text)
    assert (await client.get(f"{BASE}/not-a-uuid", headers=tenant_a.headers)).status_code == 422


async def test_release_gives_a_handoff_back_to_the_bot(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a
) -> None:
    conversation_id = await seed(runtime, tenant_a.id, "s1", [("user", "human please", "human_handoff")])
    r = await client.post(f"{BASE}/{conversation_id}/release", headers=tenant_a.headers)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json" and r.json()["code"] == "conflict"

    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        await store.set_status(session, conversation_id, "handoff")
    r = await client.post(f"{BASE}/{conversation_id}/release", headers=tenant_a.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open" and r.json()["id"] == str(conversation_id)
    assert (await client.get(f"{BASE}/{conversation_id}", headers=tenant_a.headers)).json()[
        "status"
    ] == "open"
    assert (
        await client.post(f"{BASE}/{conversation_id}/release", headers=tenant_a.headers)
    ).status_code == 409


async def test_scopes(client: httpx.AsyncClient, runtime: Runtime) -> None:
    reader = await factories.tenant_with_key(runtime, scopes=["conversations:read"])
    conversation_id = await seed(runtime, reader.id, "s1", [("user", "hi", None)], status="handoff")
    assert (await client.get(BASE, headers=reader.headers)).status_code == 200
    assert (await client.get(f"{BASE}/{conversation_id}", headers=reader.headers)).status_code == 200
    r = await client.post(f"{BASE}/{conversation_id}/release", headers=reader.headers)
    assert r.status_code == 403 and "conversations:write" in r.json()["detail"]

    leads_only = await factories.create_key(runtime, reader.id, scopes=["leads:read"])
    headers = {"X-API-Key": leads_only[1]}
    assert (await client.get(BASE, headers=headers)).status_code == 403
    assert (await client.get(f"{BASE}/{conversation_id}", headers=headers)).status_code == 403

    writer = await factories.create_key(runtime, reader.id, scopes=["conversations:write"])
    r = await client.post(f"{BASE}/{conversation_id}/release", headers={"X-API-Key": writer[1]})
    assert r.status_code == 200
    assert (await client.get(BASE)).status_code == 401


async def test_another_tenants_conversations_are_invisible(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b
) -> None:
    await seed(runtime, tenant_a.id, "a-visitor", [("user", "common words here", "pricing")])
    theirs = await seed(
        runtime, tenant_b.id, "b-visitor", [("user", "common words here", "pricing")], status="handoff"
    )

    r = await client.get(BASE, headers=tenant_a.headers, params={"q": "common", "intent": "pricing"})
    assert r.status_code == 200
    assert r.json()["total"] == 1 and [i["session_id"] for i in r.json()["items"]] == ["a-visitor"]
    assert str(theirs) not in r.text and "b-visitor" not in r.text
    r = await client.get(BASE, headers=tenant_a.headers, params={"status": "handoff"})
    assert r.json() == {"items": [], "total": 0, "page": 1, "limit": 20}

    assert (await client.get(f"{BASE}/{theirs}", headers=tenant_a.headers)).status_code == 404
    r = await client.post(f"{BASE}/{theirs}/release", headers=tenant_a.headers)
    assert r.status_code == 404 and r.json()["detail"] == "No such conversation."

    r = await client.get(f"{BASE}/{theirs}", headers=tenant_b.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "handoff" and [m["content"] for m in r.json()["messages"]] == [
        "common words here"
    ]
