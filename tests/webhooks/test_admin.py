"""The platform's view of failed web hook events: who may list and requeue, and what a
requeue does (the event's job runs again; the requeue is on the audit log)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, select

from frontdesk.auth import flows
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.models import AuditEvent, CrispEvent, StripeEvent
from frontdesk.runtime import Runtime
from tests import factories
from tests.factories import PASSWORD

EVENTS = "/api/v1/admin/webhook-events"


@dataclass
class Failed:
    stripe_id: str
    processed_stripe_id: str
    crisp_id: uuid.UUID
    owner: factories.Account


async def _platform_user(client: httpx.AsyncClient, runtime: Runtime, role: str) -> dict[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:6]}@frontdesk.example"
    await flows.create_platform_user(runtime.db, email=email, password=PASSWORD, role=role)
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def failed(client: httpx.AsyncClient, runtime: Runtime) -> AsyncIterator[Failed]:
    """A failed Stripe event (for no customer we know), a processed one, a failed Crisp event."""
    owner = await factories.signup(client, "Hook Harbour")
    stripe_id, processed_id = f"evt_{uuid.uuid4().hex[:12]}", f"evt_{uuid.uuid4().hex[:12]}"
    payload = {"data": {"object": {"customer": "cus_nobody"}}}
    long_ago = utcnow() - timedelta(hours=2)
    async with unit_of_work(runtime.db, admin=("tests", "failed events")) as session:
        session.add_all(
            [
                StripeEvent(
                    id=stripe_id,
                    type="customer.subscription.updated",
                    created=1,
                    payload=payload,
                    status="failed",
                    attempts=5,
                    last_error="RuntimeError: database hiccup",
                    received_at=long_ago,
                    next_attempt_at=long_ago,
                ),
                StripeEvent(
                    id=processed_id, type="invoice.paid", created=1, payload=payload, status="processed"
                ),
            ]
        )
    async with unit_of_work(runtime.db, tenant_id=owner.tenant_id) as session:
        event = CrispEvent(
            fingerprint="123",
            event="message:send",
            session_id="s-failed",
            payload={"content": "Are you open today?"},
            status="failed",
            attempts=5,
            last_error="RuntimeError: the model is down",
        )
        session.add(event)
        await session.flush()
        crisp_id = event.id
    yield Failed(stripe_id, processed_id, crisp_id, owner)
    async with unit_of_work(runtime.db, admin=("tests", "cleanup")) as session:
        await session.execute(delete(StripeEvent).where(StripeEvent.id.in_([stripe_id, processed_id])))


async def _eventually_status(runtime: Runtime, model: type, key: object, want: str) -> str | None:
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        async with unit_of_work(runtime.db, admin=("tests", "check")) as session:
            status = await session.scalar(select(model.status).where(model.id == key))  # type: ignore[attr-defined]
        if status == want:
            break
        await asyncio.sleep(0.05)
    return status


async def test_admins_list_failed_events_of_every_inbox(client, admin_headers, failed: Failed) -> None:
    r = await client.get(EVENTS, headers=admin_headers, params={"status": "failed", "limit": 100})
    assert r.status_code == 200, r.text
    listed = {(item["source"], item["id"]): item for item in r.json()["items"]}
    stripe = listed[("stripe", failed.stripe_id)]
    assert stripe == {
        "source": "stripe",
        "id": failed.stripe_id,
        "event_type": "customer.subscription.updated",
        "tenant_id": None,
        "status": "failed",
        "attempts": 5,
        "last_error": "RuntimeError: database hiccup",
        "next_attempt_at": stripe["next_attempt_at"],
        "received_at": stripe["received_at"],
    }
    crisp = listed[("crisp", str(failed.crisp_id))]
    assert crisp["tenant_id"] == str(failed.owner.tenant_id) and crisp["event_type"] == "message:send"
    assert ("stripe", failed.processed_stripe_id) not in listed
    assert r.json()["total"] >= 2

    only_stripe = await client.get(EVENTS, headers=admin_headers, params={"source": "stripe", "limit": 100})
    sources = {item["source"] for item in only_stripe.json()["items"]}
    assert sources == {"stripe"}
    assert failed.processed_stripe_id in {item["id"] for item in only_stripe.json()["items"]}
    assert (await client.get(EVENTS, headers=admin_headers, params={"source": "slack"})).status_code == 422


async def test_requeued_events_are_processed_again_and_the_requeue_is_audited(
    client, runtime: Runtime, admin_headers, failed: Failed
) -> None:
    r = await client.post(f"{EVENTS}/stripe/{failed.stripe_id}/requeue", headers=admin_headers)
    assert r.status_code == 204, r.text
    # the job ran: no tenant has that customer, so the event is acknowledged and ignored
    assert await _eventually_status(runtime, StripeEvent, failed.stripe_id, "ignored") == "ignored"

    r = await client.post(f"{EVENTS}/crisp/{failed.crisp_id}/requeue", headers=admin_headers)
    assert r.status_code == 204, r.text
    # the visitor's message is answered this time (the reply waits in the outbox: no Crisp here)
    assert await _eventually_status(runtime, CrispEvent, failed.crisp_id, "processed") == "processed"

    async with unit_of_work(runtime.db, admin=("tests", "check")) as session:
        audits = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "webhook_events.requeue"))
        ).all()
    targets = {a.target: a for a in audits}
    assert targets[f"stripe:{failed.stripe_id}"].actor == "admin-token"
    assert targets[f"crisp:{failed.crisp_id}"].tenant_id == failed.owner.tenant_id  # in the tenant's log

    # only a failed event can be requeued; an unknown one is not found
    again = await client.post(f"{EVENTS}/stripe/{failed.stripe_id}/requeue", headers=admin_headers)
    assert again.status_code == 409
    for path in (f"stripe/evt_{uuid.uuid4().hex}", f"crisp/{uuid.uuid4()}", "crisp/not-a-uuid"):
        assert (await client.post(f"{EVENTS}/{path}/requeue", headers=admin_headers)).status_code == 404


async def test_only_platform_admins_requeue_and_tenants_see_nothing(
    client, runtime: Runtime, failed: Failed
) -> None:
    requeue = f"{EVENTS}/crisp/{failed.crisp_id}/requeue"
    # a tenant's owner (a user) and its secret key: no way in
    assert (await client.get(EVENTS, headers=failed.owner.headers)).status_code == 403
    assert (await client.post(requeue, headers=failed.owner.headers)).status_code == 403
    key = {"X-API-Key": failed.owner.secret_key}
    assert (await client.get(EVENTS, headers=key)).status_code == 401
    assert (await client.post(requeue, headers=key)).status_code == 401
    assert (await client.get(EVENTS)).status_code == 401
    # support looks, does not touch
    support = await _platform_user(client, runtime, "support")
    assert (await client.get(EVENTS, headers=support)).status_code == 200
    assert (await client.post(requeue, headers=support)).status_code == 403
    # a platform admin user may
    admin = await _platform_user(client, runtime, "admin")
    assert (await client.post(requeue, headers=admin)).status_code == 204
