"""Deleting a tenant purges every row it owns: each table with a ``tenant_id`` (found from the
metadata, so a new table is covered without editing this test), the rows hanging off them, and
the people who worked for that tenant only."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import Table, func, select

from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.knowledge.chunks import sync_chunks
from frontdesk.models import (
    Base,
    BillingAccount,
    CrispIntegration,
    KnowledgeBase,
    KnowledgeGapResolution,
    KnowledgeImport,
    StripeEvent,
    TenantConfiguration,
    UsageReport,
    User,
)
from frontdesk.runtime import Runtime
from tests import factories
from tests.privacy.visitors import seed_visitor

Owned = dict[str, set[Any]]  # table → primary keys


def _pk(table: Table) -> Any:
    (column,) = table.primary_key.columns
    return column


def _follows(table: Table) -> list[tuple[Any, Table]]:
    """Columns of ``table`` through which a row belongs to another row: any ``tenant_id``, and
    every foreign key that cascades (a SET NULL one merely forgets the other row)."""
    return [
        (fk.parent, fk.column.table)  # type: ignore[misc]
        for fk in table.foreign_keys
        if fk.parent.name == "tenant_id" or (fk.ondelete or "").upper() == "CASCADE"
    ]


async def _owned(runtime: Runtime, tenant_id: uuid.UUID, user_ids: set[uuid.UUID]) -> Owned:
    """Every row that belongs to the tenant (or to its only-here users), transitively."""
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    owned: Owned = {name: set() for name in tables}
    owned["tenants"] = {tenant_id}
    owned["users"] = set(user_ids)
    async with unit_of_work(runtime.db, admin=("tests", "count a tenant's rows"), read_only=True) as session:
        changed = True
        while changed:
            changed = False
            for name, table in tables.items():
                for column, target in _follows(table):
                    keys = owned[target.name]
                    if not keys:
                        continue
                    found = set((await session.scalars(select(_pk(table)).where(column.in_(keys)))).all())
                    if not found <= owned[name]:
                        owned[name] |= found
                        changed = True
    return owned


async def _still_there(runtime: Runtime, owned: Owned) -> dict[str, int]:
    left = {}
    async with unit_of_work(runtime.db, admin=("tests", "count a tenant's rows"), read_only=True) as session:
        for table in Base.metadata.sorted_tables:
            keys = owned[table.name]
            if keys:
                left[table.name] = int(
                    await session.scalar(select(func.count()).select_from(table).where(_pk(table).in_(keys)))
                    or 0
                )
            if "tenant_id" in table.c and owned["tenants"]:
                (tenant_id,) = owned["tenants"]
                left[f"{table.name} (by tenant_id)"] = int(
                    await session.scalar(
                        select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
                    )
                    or 0
                )
    return {name: n for name, n in left.items() if n}


async def _populate(client: httpx.AsyncClient, runtime: Runtime, owner: factories.Account) -> set[uuid.UUID]:
    """A row in every tenant-owned table; returns the users who work for this tenant only."""
    tenant_id = owner.tenant_id
    member = await factories.join(client, runtime, owner, "member")
    r = await client.post(
        "/api/v1/customer/team/invitations", headers=owner.headers, json={"email": "later@example.com"}
    )
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/auth/password/forgot", json={"email": member.email})
    assert r.status_code in (200, 202, 204), r.text
    await seed_visitor(runtime, tenant_id, "visitor-1", email="ana@example.com", channel="crisp")
    now = utcnow()
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        imported = KnowledgeImport(kind="website", source="https://doomed.example/", status="done", errors=[])
        session.add(imported)
        await session.flush()
        session.add(
            KnowledgeBase(
                name="Hours",
                content="Open daily.",
                source_url="https://doomed.example/hours",
                import_id=imported.id,
                content_hash="0" * 64,
            )
        )
        document = KnowledgeBase(name="faq", content="We open at nine.")
        session.add(document)
        await session.flush()
        await sync_chunks(session, document)  # knowledge_chunks
        session.add(KnowledgeGapResolution(question_key="0" * 64, action="dismissed", created_by="tests"))
        session.add(TenantConfiguration(config_type="notes", config_data={"bot_name": "Doomed"}))
        session.add(
            CrispIntegration(
                website_id=f"w-{uuid.uuid4().hex}",
                identifier="id",
                api_key="key",
                signing_secret="secret",
                webhook_token_hash=uuid.uuid4().hex * 2,
            )
        )
        session.add(BillingAccount(stripe_customer_id=f"cus_{uuid.uuid4().hex}", status="active"))
        session.add(
            UsageReport(
                period_start=now,
                period_end=now,
                identifier=f"u-{tenant_id}",
                event_name="messages",
                stripe_customer_id="cus_x",
                quantity=1,
                timestamp=1,
            )
        )
    async with unit_of_work(runtime.db, admin=("tests", "stripe event")) as session:
        session.add(
            StripeEvent(
                id=f"evt_{uuid.uuid4().hex}", type="invoice.paid", created=1, tenant_id=tenant_id, payload={}
            )
        )
    async with unit_of_work(runtime.db, admin=("tests", "users"), read_only=True) as session:
        emails = {owner.email, member.email}
        return set((await session.scalars(select(User.id).where(User.email.in_(emails)))).all())


async def test_deleting_a_tenant_leaves_none_of_its_rows(
    client: httpx.AsyncClient, runtime: Runtime, admin_headers: dict[str, str]
) -> None:
    doomed = await factories.signup(client, "Doomed Diner")
    survivor = await factories.signup(client, "Sturdy Shop")
    only_here = await _populate(client, runtime, doomed)
    await _populate(client, runtime, survivor)
    # someone who works for both keeps their account (and the survivor's membership)
    both = await factories.join(client, runtime, survivor, "admin")
    r = await client.post(
        "/api/v1/customer/team/invitations",
        headers=doomed.headers,
        json={"email": both.email, "role": "member"},
    )
    assert r.status_code == 201, r.text
    token = await factories.emailed_token(runtime, both.email, "token=")
    r = await client.post(
        "/api/v1/auth/invitations/accept",
        json={"token": token, "password": factories.PASSWORD, "name": "Both"},
    )
    assert r.status_code == 200, r.text

    owned = await _owned(runtime, doomed.tenant_id, only_here)
    tenant_tables = [t.name for t in Base.metadata.sorted_tables if "tenant_id" in t.c]
    empty = [name for name in tenant_tables if not owned[name]]
    assert not empty, f"seed a row of {empty} in _populate so that this test covers it"
    assert owned["refresh_tokens"] and owned["one_time_tokens"] and len(owned["users"]) == 2
    kept = await _owned(runtime, survivor.tenant_id, set())
    assert kept["users"] == set()  # (the survivor's own people are counted through their rows)

    assert (await client.get("/api/v1/customer/business", headers=doomed.headers)).status_code == 200
    r = await client.delete(f"/api/v1/admin/tenants/{doomed.tenant_id}", headers=admin_headers)
    assert r.status_code == 204, r.text
    # its people's access tokens and its keys stop at once
    assert (await client.get("/api/v1/customer/business", headers=doomed.headers)).status_code in (401, 403)
    assert (await client.get("/api/v1/config", headers={"X-API-Key": doomed.secret_key})).status_code == 401

    assert await _still_there(runtime, owned) == {}
    assert await _owned(runtime, survivor.tenant_id, set()) == kept
    # the person who also works for the survivor can still sign in, into the survivor
    r = await client.post("/api/v1/auth/login", json={"email": both.email, "password": factories.PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json().get("tenant_id") in (None, str(survivor.tenant_id))
    # and the deletion is on the platform's record
    r = await client.get("/api/v1/admin/audit", headers=admin_headers, params={"action": "tenants.delete"})
    assert f"tenant:{doomed.tenant_id}" in [e["target"] for e in r.json()["items"]]  # (others: other tests')
