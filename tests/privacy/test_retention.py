"""Per-tenant retention: the periodic job deletes what is older than the tenant's period."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from frontdesk.db.session import unit_of_work
from frontdesk.jobs import periodic
from frontdesk.kit.time import utcnow
from frontdesk.models import (
    AuditEvent,
    BillingAccount,
    Conversation,
    CrispDelivery,
    CrispEvent,
    Lead,
    Message,
)
from frontdesk.runtime import Runtime
from frontdesk.visitor_data import tasks
from tests import factories
from tests.privacy.visitors import count, seed_visitor

DAY = timedelta(days=1)


async def _retain(client: httpx.AsyncClient, key: str, days: int | None) -> httpx.Response:
    headers = {"X-API-Key": key}
    config = (await client.get("/api/v1/config", headers=headers)).json()
    body = {k: v for k, v in config.items() if k != "updated_at"}
    body["llm"] = {k: v for k, v in body["llm"].items() if k != "api_key_set"}
    body["privacy"] = {"retention_days": days}
    return await client.put("/api/v1/config", headers=headers, json=body)


async def _rows(runtime: Runtime, tenant_id: uuid.UUID) -> dict[str, int]:
    return {
        "conversations": await count(runtime, tenant_id, Conversation),
        "messages": await count(runtime, tenant_id, Message),
        "leads": await count(runtime, tenant_id, Lead),
        "crisp_events": await count(runtime, tenant_id, CrispEvent),
        "crisp_deliveries": await count(runtime, tenant_id, CrispDelivery),
    }


@pytest.mark.parametrize("days", [0, -1, 3651, "a month", 1.5])
async def test_the_retention_period_is_validated_on_save(
    client: httpx.AsyncClient, tenant_a: factories.TenantWithKey, days: object
) -> None:
    r = await _retain(client, tenant_a.key, days)  # type: ignore[arg-type]
    assert r.status_code == 422, r.text
    assert any(e["field"].endswith("retention_days") for e in r.json()["errors"])


async def test_the_retention_period_is_saved_and_shown(
    client: httpx.AsyncClient, tenant_a: factories.TenantWithKey
) -> None:
    config = (await client.get("/api/v1/config", headers=tenant_a.headers)).json()
    assert config["privacy"] == {"retention_days": None}  # kept forever unless set
    r = await _retain(client, tenant_a.key, 30)
    assert r.status_code == 200, r.text
    assert (await client.get("/api/v1/config", headers=tenant_a.headers)).json()["privacy"] == {
        "retention_days": 30
    }


async def test_old_rows_are_purged_recent_ones_and_other_tenants_kept(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alpha = await factories.tenant_with_key(runtime, "Alpha Bikes")  # 30 days
    beta = await factories.tenant_with_key(runtime, "Beta Bakery")  # kept forever
    gamma = await factories.tenant_with_key(runtime, "Gamma Gym")  # a year
    assert (await _retain(client, alpha.key, 30)).status_code == 200
    assert (await _retain(client, gamma.key, 365)).status_code == 200
    for tenant in (alpha, beta, gamma):
        await seed_visitor(runtime, tenant.id, "old", email="old@example.com", channel="crisp", age=40 * DAY)
        await seed_visitor(runtime, tenant.id, "new", email="new@example.com", channel="crisp", age=DAY)
    # an old conversation the visitor came back to: its old messages go, it and the new ones stay
    mixed = await seed_visitor(runtime, alpha.id, "mixed", age=40 * DAY)
    async with unit_of_work(runtime.db, tenant_id=alpha.id) as session:
        session.add(Message(conversation_id=mixed.conversation_id, role="user", content="back again"))
        conversation = await session.get(Conversation, mixed.conversation_id)
        assert conversation is not None
        conversation.updated_at = utcnow()
    untouched = await _rows(runtime, beta.id)
    assert untouched == {
        "conversations": 2,
        "messages": 4,
        "leads": 2,
        "crisp_events": 2,
        "crisp_deliveries": 2,
    }
    assert await _rows(runtime, gamma.id) == untouched

    deleted = await tasks.apply_retention()

    assert await _rows(runtime, alpha.id) == {
        "conversations": 2,  # "new" and "mixed"
        "messages": 3,  # "new" × 2 and "back again"
        "leads": 1,
        "crisp_events": 1,
        "crisp_deliveries": 1,
    }
    assert deleted == 1 + 4 + 1 + 1 + 1  # the old conversation, its 2 + mixed's 2 messages, lead, crisp rows
    async with unit_of_work(runtime.db, tenant_id=alpha.id, read_only=True) as session:
        survivors = await session.get(Conversation, mixed.conversation_id)
        assert survivors is not None
    assert (
        await count(runtime, alpha.id, Lead, Lead.contact_info["email"].as_string() == "new@example.com") == 1
    )
    assert await _rows(runtime, beta.id) == untouched
    assert await _rows(runtime, gamma.id) == untouched
    assert await count(runtime, alpha.id, AuditEvent, AuditEvent.action == "privacy.retention") == 1
    assert await count(runtime, gamma.id, AuditEvent, AuditEvent.action == "privacy.retention") == 0

    assert await tasks.apply_retention() == 0  # nothing left to do


async def test_a_short_retention_cannot_erase_the_billing_periods_usage(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Quotas and metered billing count the period's message rows: a one-day retention must not
    wipe them (a free ride), only what came before the period."""
    tenant = await factories.tenant_with_key(runtime, "Alpha Bikes")
    now = utcnow()
    async with unit_of_work(runtime.db, tenant_id=tenant.id) as session:
        session.add(
            BillingAccount(
                status="active",
                plan="pro",
                current_period_start=now - 10 * DAY,
                current_period_end=now + 20 * DAY,
            )
        )
    await seed_visitor(runtime, tenant.id, "this-period", age=3 * DAY)
    await seed_visitor(runtime, tenant.id, "last-period", age=12 * DAY)
    assert (await _retain(client, tenant.key, 1)).status_code == 200

    await tasks.apply_retention()

    assert await count(runtime, tenant.id, Conversation, Conversation.session_id == "this-period") == 1
    assert await count(runtime, tenant.id, Message, Message.content.startswith("this-period")) == 2
    assert await count(runtime, tenant.id, Conversation, Conversation.session_id == "last-period") == 0


def test_the_retention_job_is_on_the_schedule() -> None:
    assert "frontdesk.privacy.apply_retention" in {p.task_name for p in periodic.SCHEDULE}
