"""Lead capture (one lead per conversation, contact details merged) and /api/v1/leads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from frontdesk.chat import store
from frontdesk.db.session import unit_of_work
from frontdesk.leads import service
from frontdesk.models import Lead
from frontdesk.runtime import Runtime
from tests import factories

BASE = "/api/v1/leads"


async def capture(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    session_id: str,
    contact: dict[str, str],
    *,
    intent: str | None = None,
    created_at: datetime | None = None,
) -> tuple[uuid.UUID, bool]:
    """What the chat pipeline does when a visitor leaves details: capture into their conversation."""
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        conversation = await store.get_or_create_conversation(
            session, channel="widget", session_id=session_id
        )
        lead, created = await service.capture(session, conversation.id, intent=intent, contact=contact)
        if created_at is not None:
            await session.execute(update(Lead).where(Lead.id == lead.id).values(created_at=created_at))
        return lead.id, created


async def contact_of(
    runtime: Runtime, tenant_id: uuid.UUID, lead_id: uuid.UUID
) -> tuple[dict[str, str], Lead]:
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        lead = await service.get_lead(session, lead_id)
        return service.read_contact(lead), lead


async def test_capture_creates_then_merges_into_the_same_lead(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    lead_id, created = await capture(runtime, tenant, "v1", {"email": "ana@example.com"}, intent="pricing")
    assert created
    # a later message gives a phone (and an empty email): the email is kept, the intent too
    again, created = await capture(runtime, tenant, "v1", {"phone": "+34600111222", "email": ""}, intent=None)
    assert again == lead_id and not created
    contact, lead = await contact_of(runtime, tenant, lead_id)
    assert contact == {"email": "ana@example.com", "phone": "+34600111222"}
    assert lead.intent == "pricing" and lead.status == "new"
    # a new non-empty value corrects an old one; a new intent replaces the old one
    await capture(
        runtime, tenant, "v1", {"name": "Ana Ruiz", "email": "ana.ruiz@example.com "}, intent="booking"
    )
    contact, lead = await contact_of(runtime, tenant, lead_id)
    assert contact == {"email": "ana.ruiz@example.com", "phone": "+34600111222", "name": "Ana Ruiz"}
    assert lead.intent == "booking"
    # another conversation is another lead
    other, created = await capture(runtime, tenant, "v2", {"company": "Acme"})
    assert created and other != lead_id
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        assert await session.scalar(select(func.count()).select_from(Lead)) == 2


async def test_capture_keeps_only_contact_fields(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    lead_id, _ = await capture(
        runtime, tenant, "v1", {"email": "  bo@example.com ", "card": "4111111111111111", "name": "   "}
    )
    contact, _ = await contact_of(runtime, tenant, lead_id)
    assert contact == {"email": "bo@example.com"}


async def test_a_status_set_by_the_team_survives_a_later_capture(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    lead_id, _ = await capture(runtime, tenant, "v1", {"email": "c@example.com"})
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        await service.update_lead(session, lead_id, "qualified")
    await capture(runtime, tenant, "v1", {"phone": "+15550100"})
    _, lead = await contact_of(runtime, tenant, lead_id)
    assert lead.status == "qualified"


async def test_concurrent_captures_make_one_lead(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        conversation = await store.get_or_create_conversation(session, channel="api", session_id="race")

    async def one(contact: dict[str, str]) -> tuple[uuid.UUID, bool]:
        async with unit_of_work(runtime.db, tenant_id=tenant) as session:
            lead, created = await service.capture(session, conversation.id, intent="pricing", contact=contact)
            return lead.id, created

    results = await asyncio.gather(
        *(one({"name": "Dee"}) for _ in range(5)), one({"email": "dee@example.com"})
    )
    assert len({lead_id for lead_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    contact, _ = await contact_of(runtime, tenant, results[0][0])
    assert contact["name"] == "Dee"
    if runtime.db.dialect == "postgresql":  # the lead row is locked while a capture merges into it
        assert contact["email"] == "dee@example.com"


async def test_update_lead_rejects_unknown_statuses(runtime: Runtime) -> None:
    tenant = await factories.create_tenant(runtime)
    lead_id, _ = await capture(runtime, tenant, "v1", {"email": "e@example.com"})
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        with pytest.raises(ValueError, match="status"):
            await service.update_lead(session, lead_id, "maybe")


# --- the API ---------------------------------------------------------------------------------


async def test_list_newest_first_with_filters_and_totals(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a
) -> None:
    now = datetime.now(UTC)
    old, _ = await capture(
        runtime, tenant_a.id, "v-old", {"email": "old@example.com"}, created_at=now - timedelta(days=20)
    )
    mid, _ = await capture(
        runtime, tenant_a.id, "v-mid", {"phone": "+15550101"}, created_at=now - timedelta(days=5)
    )
    new, _ = await capture(runtime, tenant_a.id, "v-new", {"name": "Nia"}, intent="pricing")
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        await service.update_lead(session, mid, "won")

    r = await client.get(BASE, headers=tenant_a.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and [i["id"] for i in body["items"]] == [str(new), str(mid), str(old)]
    first = body["items"][0]
    assert first["intent"] == "pricing" and first["status"] == "new"
    assert first["contact"] == {"name": "Nia", "email": None, "phone": None, "company": None}
    assert first["conversation_id"] and first["created_at"] and first["updated_at"]

    async def ids(**params: object) -> list[str]:
        r = await client.get(BASE, headers=tenant_a.headers, params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids(status="won") == [str(mid)]
    assert await ids(status="lost") == []
    assert await ids(since=(now - timedelta(days=10)).isoformat()) == [str(new), str(mid)]
    assert await ids(until=(now - timedelta(days=10)).isoformat()) == [str(old)]
    assert await ids(
        since=(now - timedelta(days=30)).isoformat(), until=(now - timedelta(days=1)).isoformat()
    ) == [str(mid), str(old)]
    r = await client.get(BASE, headers=tenant_a.headers, params={"limit": 2, "page": 2})
    assert r.json()["total"] == 3 and [i["id"] for i in r.json()["items"]] == [str(old)]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "hot"},
        {"since": "soon"},
        {"until": "0001-01-01T00:00:00+05:00"},
        {"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"},
    ],
)
async def test_invalid_list_filters_are_422(client: httpx.AsyncClient, tenant_a, params) -> None:
    r = await client.get(BASE, headers=tenant_a.headers, params=params)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_get_and_patch_a_lead(client: httpx.AsyncClient, runtime: Runtime, tenant_a) -> None:
    lead_id, _ = await capture(runtime, tenant_a.id, "v1", {"email": "f@example.com", "company": "Fab"})
    r = await client.get(f"{BASE}/{lead_id}", headers=tenant_a.headers)
    assert r.status_code == 200, r.text
    assert r.json()["contact"] == {"name": None, "email": "f@example.com", "phone": None, "company": "Fab"}

    for status in ["contacted", "qualified", "won", "lost", "new"]:
        r = await client.patch(f"{BASE}/{lead_id}", headers=tenant_a.headers, json={"status": status})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    r = await client.patch(f"{BASE}/{lead_id}", headers=tenant_a.headers, json={"status": "won"})
    assert (await client.get(f"{BASE}/{lead_id}", headers=tenant_a.headers)).json()["status"] == "won"

    for body in [{"status": "hot"}, {}, {"status": "won", "contact": {}}, {"status": None}]:
        r = await client.patch(f"{BASE}/{lead_id}", headers=tenant_a.headers, json=body)
        assert r.status_code == 422, body
        assert r.json()["code"] == "validation_error"
    assert (await client.get(f"{BASE}/{lead_id}", headers=tenant_a.headers)).json()["status"] == "won"

    for method in ["GET", "PATCH"]:
        r = await client.request(
            method, f"{BASE}/{uuid.uuid4()}", headers=tenant_a.headers, json={"status": "won"}
        )
        assert r.status_code == 404 and r.json()["detail"] == "No such lead."


async def test_scopes(client: httpx.AsyncClient, runtime: Runtime) -> None:
    reader = await factories.tenant_with_key(runtime, scopes=["leads:read"])
    lead_id, _ = await capture(runtime, reader.id, "v1", {"email": "g@example.com"})
    assert (await client.get(BASE, headers=reader.headers)).status_code == 200
    assert (await client.get(f"{BASE}/{lead_id}", headers=reader.headers)).status_code == 200
    r = await client.patch(f"{BASE}/{lead_id}", headers=reader.headers, json={"status": "won"})
    assert r.status_code == 403 and "leads:write" in r.json()["detail"]

    _, conversations_key = await factories.create_key(runtime, reader.id, scopes=["conversations:read"])
    assert (await client.get(BASE, headers={"X-API-Key": conversations_key})).status_code == 403

    _, writer = await factories.create_key(runtime, reader.id, scopes=["leads:write"])
    r = await client.patch(f"{BASE}/{lead_id}", headers={"X-API-Key": writer}, json={"status": "won"})
    assert r.status_code == 200
    _, lead = await contact_of(runtime, reader.id, lead_id)
    assert lead.status == "won"


async def test_another_tenants_leads_are_invisible_and_unchangeable(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a, tenant_b
) -> None:
    await capture(runtime, tenant_a.id, "a-visitor", {"email": "a@alpha.test"})
    theirs, _ = await capture(runtime, tenant_b.id, "b-visitor", {"email": "b@beta.test"}, intent="pricing")

    r = await client.get(BASE, headers=tenant_a.headers)
    assert r.json()["total"] == 1 and "b@beta.test" not in r.text and str(theirs) not in r.text
    assert (await client.get(BASE, headers=tenant_a.headers, params={"status": "new"})).json()["total"] == 1
    assert (await client.get(f"{BASE}/{theirs}", headers=tenant_a.headers)).status_code == 404
    r = await client.patch(f"{BASE}/{theirs}", headers=tenant_a.headers, json={"status": "lost"})
    assert r.status_code == 404 and r.json()["detail"] == "No such lead."

    r = await client.get(f"{BASE}/{theirs}", headers=tenant_b.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "new" and r.json()["contact"]["email"] == "b@beta.test"
    assert r.json()["intent"] == "pricing"
