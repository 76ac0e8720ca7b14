"""Export and erasure of one visitor's data: /api/v1/privacy and /api/v1/customer/privacy."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
from sqlalchemy import select

from frontdesk.db.session import unit_of_work
from frontdesk.models import AuditEvent, Conversation, CrispDelivery, CrispEvent, Lead, Message
from frontdesk.runtime import Runtime
from tests import factories
from tests.privacy.visitors import count, seed_visitor

EXPORT = "/api/v1/customer/privacy/export"
ERASE = "/api/v1/customer/privacy/erase"


async def _visitor_rows(runtime: Runtime, tenant_id: uuid.UUID, session_id: str) -> dict[str, int]:
    return {
        "conversations": await count(runtime, tenant_id, Conversation, Conversation.session_id == session_id),
        "messages": await count(
            runtime, tenant_id, Message, Message.content.startswith(f"{session_id} says")
        ),
        "leads": await count(runtime, tenant_id, Lead),
        "crisp_events": await count(runtime, tenant_id, CrispEvent, CrispEvent.session_id == session_id),
        "crisp_deliveries": await count(
            runtime, tenant_id, CrispDelivery, CrispDelivery.session_id == session_id
        ),
    }


async def test_an_owner_exports_one_visitor_by_session_email_or_lead(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Alpha Bikes")
    ana = await seed_visitor(runtime, owner.tenant_id, "s-ana", email="Ana@Example.com", channel="crisp")
    await seed_visitor(runtime, owner.tenant_id, "s-bob", email="bob@example.com")

    for params in ({"session_id": "s-ana"}, {"email": "ana@EXAMPLE.com"}, {"lead_id": str(ana.lead_id)}):
        r = await client.get(EXPORT, headers=owner.headers, params=params)
        assert r.status_code == 200, (params, r.text)
        body = r.json()
        assert [c["id"] for c in body["conversations"]] == [str(ana.conversation_id)]
        assert [m["content"] for m in body["conversations"][0]["messages"]] == [
            "s-ana says 0",
            "s-ana says 1",
        ]
        assert [lead["contact"]["email"] for lead in body["leads"]] == ["Ana@Example.com"]
        assert [e["session_id"] for e in body["crisp_events"]] == ["s-ana"]
        assert [d["content"] for d in body["crisp_deliveries"]] == ["a reply"]
        assert "s-bob" not in r.text and "bob@example.com" not in r.text
        assert body["truncated"] is False

    # on the record, without the visitor's email in the log
    r = await client.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "privacy."})
    events = r.json()["items"]
    assert [e["action"] for e in events] == ["privacy.export"] * 3
    assert {e["target"] for e in events} == {"session_id", "email", "lead_id"}
    assert "ana@example.com" not in r.text.lower()
    # and the fingerprint is keyed: hashing a list of emails does not find whose data it was
    plain = {
        hashlib.sha256(v.encode()).hexdigest()[:16] for v in ("ana@example.com", "ana@EXAMPLE.com", "s-ana")
    }
    assert all(e["details"]["fingerprint"] not in plain for e in events)


async def test_erasure_deletes_the_visitor_and_only_the_visitor(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Alpha Bikes")
    await seed_visitor(
        runtime, owner.tenant_id, "s-ana", email="ana@example.com", channel="crisp", messages=3
    )
    await seed_visitor(runtime, owner.tenant_id, "s-bob", email="bob@example.com", channel="crisp")

    r = await client.post(ERASE, headers=owner.headers, json={"email": "ANA@example.com"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "conversations": 1,
        "messages": 3,
        "leads": 1,
        "crisp_events": 1,
        "crisp_deliveries": 1,
    }
    ana = await _visitor_rows(runtime, owner.tenant_id, "s-ana")
    assert ana == {"conversations": 0, "messages": 0, "leads": 1, "crisp_events": 0, "crisp_deliveries": 0}
    assert await _visitor_rows(runtime, owner.tenant_id, "s-bob") == {
        "conversations": 1,
        "messages": 2,
        "leads": 1,  # Bob's (the only lead left)
        "crisp_events": 1,
        "crisp_deliveries": 1,
    }
    assert (
        await client.get(EXPORT, headers=owner.headers, params={"email": "ana@example.com"})
    ).status_code == 404

    # erasing again is harmless: zero counts, and both requests are on the record
    r = await client.post(ERASE, headers=owner.headers, json={"session_id": "s-ana"})
    assert r.status_code == 200 and set(r.json().values()) == {0}
    r = await client.get("/api/v1/customer/audit", headers=owner.headers, params={"action": "privacy.erase"})
    assert [e["details"]["messages"] for e in r.json()["items"]] == [0, 3]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"session_id": "s-1", "email": "a@example.com"},
        {"email": "not-an-email"},
        {"lead_id": "not-a-uuid"},
        {"session_id": ""},
        {"session_id": "s", "colour": "red"},
    ],
)
async def test_a_bad_selector_is_a_422(
    client: httpx.AsyncClient, runtime: Runtime, params: dict[str, str]
) -> None:
    owner = await factories.signup(client, "Alpha Bikes")
    await seed_visitor(runtime, owner.tenant_id, "s-1", email="a@example.com")
    r = await client.get(EXPORT, headers=owner.headers, params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(ERASE, headers=owner.headers, json=params)
    assert r.status_code == 422, r.text
    assert await count(runtime, owner.tenant_id, Message) == 2


async def test_only_owners_admins_and_keys_with_the_privacy_scope(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await factories.signup(client, "Alpha Bikes")
    await seed_visitor(runtime, owner.tenant_id, "s-ana", email="ana@example.com")
    member = await factories.join(client, runtime, owner, "member")
    admin = await factories.join(client, runtime, owner, "admin")
    selector = {"session_id": "s-ana"}

    assert (await client.get(EXPORT, headers=member.headers, params=selector)).status_code == 403
    assert (await client.post(ERASE, headers=member.headers, json=selector)).status_code == 403
    # a secret key gets the scope only when asked for by name
    default_key = {"X-API-Key": owner.secret_key}
    assert (
        await client.get("/api/v1/privacy/export", headers=default_key, params=selector)
    ).status_code == 403
    assert (await client.post("/api/v1/privacy/erase", headers=default_key, json=selector)).status_code == 403
    assert await count(runtime, owner.tenant_id, Message) == 2

    r = await client.post(
        "/api/v1/customer/api-keys",
        headers=owner.headers,
        json={"name": "dpo", "type": "secret", "scopes": ["privacy:manage"]},
    )
    assert r.status_code == 201, r.text
    privacy_key = {"X-API-Key": r.json()["key"]}
    r = await client.get("/api/v1/privacy/export", headers=privacy_key, params=selector)
    assert r.status_code == 200 and len(r.json()["conversations"]) == 1
    r = await client.get(EXPORT, headers=admin.headers, params=selector)
    assert r.status_code == 200
    r = await client.post("/api/v1/privacy/erase", headers=privacy_key, json=selector)
    assert r.status_code == 200 and r.json()["messages"] == 2
    async with unit_of_work(runtime.db, tenant_id=owner.tenant_id, read_only=True) as session:
        actors = (
            await session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "privacy.erase"))
        ).all()
    assert [a.split(":")[0] for a in actors] == ["key"]


async def test_another_tenant_finds_and_erases_nothing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    alpha = await factories.signup(client, "Alpha Bikes")
    beta = await factories.signup(client, "Beta Bakery")
    ana = await seed_visitor(runtime, alpha.tenant_id, "s-ana", email="ana@example.com", channel="crisp")
    r = await client.post(
        "/api/v1/customer/api-keys",
        headers=beta.headers,
        json={"name": "dpo", "type": "secret", "scopes": ["privacy:manage"]},
    )
    beta_key = {"X-API-Key": r.json()["key"]}
    before = await _visitor_rows(runtime, alpha.tenant_id, "s-ana")
    assert before == {"conversations": 1, "messages": 2, "leads": 1, "crisp_events": 1, "crisp_deliveries": 1}

    for selector in ({"session_id": "s-ana"}, {"email": "ana@example.com"}, {"lead_id": str(ana.lead_id)}):
        r = await client.get(EXPORT, headers=beta.headers, params=selector)
        assert r.status_code == 404, r.text
        r = await client.get("/api/v1/privacy/export", headers=beta_key, params=selector)
        assert r.status_code == 404, r.text
        for url, headers in ((ERASE, beta.headers), ("/api/v1/privacy/erase", beta_key)):
            r = await client.post(url, headers=headers, json=selector)
            assert r.status_code == 200 and set(r.json().values()) == {0}, r.text

    assert await _visitor_rows(runtime, alpha.tenant_id, "s-ana") == before
