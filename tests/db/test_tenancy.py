"""Layer one of isolation: the ORM scopes every statement on tenant-owned models."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from frontdesk.db import tenancy
from frontdesk.db.session import unit_of_work
from frontdesk.db.tenancy import TenancyError, admin_scope, tenant_filter, tenant_values
from frontdesk.kit.ids import new_id
from frontdesk.kit.time import utcnow
from frontdesk.models import Conversation, Message, Tenant
from frontdesk.runtime import Runtime
from tests import factories


async def _conversation_with_message(runtime: Runtime, tenant_id, text: str) -> None:
    async with unit_of_work(runtime.db, tenant_id=tenant_id) as session:
        conv = Conversation(session_id="s1", channel="api")
        session.add(conv)
        await session.flush()
        session.add(Message(conversation_id=conv.id, role="user", content=text))


async def test_queries_see_only_the_current_tenant(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a, "from A")
    await _conversation_with_message(runtime, b, "from B")

    async with unit_of_work(runtime.db, tenant_id=a) as session:
        assert [m.content for m in await session.scalars(select(Message))] == ["from A"]
        # joins, counts and get() are scoped too
        joined = await session.execute(select(Message.content, Conversation.session_id).join(Conversation))
        assert [row[0] for row in joined] == ["from A"]
        assert await session.scalar(select(func.count()).select_from(Message)) == 1
        assert [t.name for t in await session.scalars(select(Tenant))] == ["A"]
        assert await session.get(Tenant, b) is None


async def test_new_rows_are_stamped_and_cannot_be_planted_in_another_tenant(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    async with unit_of_work(runtime.db, tenant_id=a) as session:
        conv = Conversation(session_id="x")
        session.add(conv)
        await session.flush()
        assert conv.tenant_id == a
    with pytest.raises(TenancyError):
        async with unit_of_work(runtime.db, tenant_id=a) as session:
            session.add(Conversation(session_id="y", tenant_id=b))
    async with unit_of_work(runtime.db, tenant_id=b) as session:
        assert (await session.scalars(select(Conversation))).all() == []


async def test_bulk_update_and_delete_are_scoped(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a, "a")
    await _conversation_with_message(runtime, b, "b")
    async with unit_of_work(runtime.db, tenant_id=a) as session:
        await session.execute(update(Message).values(content="changed"))
        await session.execute(delete(Conversation))
    async with unit_of_work(runtime.db, tenant_id=b) as session:
        assert [m.content for m in await session.scalars(select(Message))] == ["b"]


async def test_no_tenant_context_raises(runtime: Runtime) -> None:
    with pytest.raises(TenancyError, match="without a tenant context"):
        async with unit_of_work(runtime.db) as session:
            await session.scalars(select(Message))
    with pytest.raises(TenancyError):
        async with unit_of_work(runtime.db) as session:
            session.add(Conversation(session_id="z"))
            await session.flush()


async def test_core_statements_take_the_tenant_from_the_session(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a, "from A")
    await _conversation_with_message(runtime, b, "from B")
    messages, conversations = Message.__table__, Conversation.__table__
    contents = select(messages.c.content).where(tenant_filter(messages))  # built once, run per tenant
    now = utcnow()
    insert = conversations.insert().values(tenant_values())
    async with unit_of_work(runtime.db, tenant_id=a) as session:
        assert (await tenancy.execute(session, contents)).scalars().all() == ["from A"]
        row = {"id": new_id(), "channel": "api", "session_id": "core", "status": "open"}
        await tenancy.execute(session, insert, {**row, "created_at": now, "updated_at": now})
    async with unit_of_work(runtime.db, tenant_id=b) as session:
        assert (await tenancy.execute(session, contents)).scalars().all() == ["from B"]
        assert (await session.scalars(select(Conversation.session_id))).all() == ["s1"]
    async with unit_of_work(runtime.db, tenant_id=a) as session:
        assert sorted((await session.scalars(select(Conversation.session_id))).all()) == ["core", "s1"]
    with pytest.raises(TenancyError, match="without a tenant context"):
        async with unit_of_work(runtime.db) as session:
            await tenancy.execute(session, contents)


async def test_admin_scope_sees_all_tenants_and_is_logged(runtime: Runtime, capsys) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a, "a")
    await _conversation_with_message(runtime, b, "b")
    async with unit_of_work(runtime.db) as session:
        async with admin_scope(session, actor="ops@frontdesk", reason="incident 42"):
            contents = sorted(m.content for m in await session.scalars(select(Message)))
        assert contents == ["a", "b"]
        with pytest.raises(TenancyError):  # the scope ends with the block
            await session.scalars(select(Message))
    logged = capsys.readouterr().err
    assert "tenancy.admin_scope" in logged and "incident 42" in logged and "ops@frontdesk" in logged


async def test_deleting_a_tenant_deletes_all_its_data(runtime: Runtime, client, admin_headers) -> None:
    a = await factories.tenant_with_key(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a.id, "a")
    await _conversation_with_message(runtime, b, "b")
    r = await client.delete(f"/api/v1/admin/tenants/{a.id}", headers=admin_headers)
    assert r.status_code == 204
    async with unit_of_work(runtime.db, admin=("tests", "verify delete")) as session:
        assert [m.content for m in await session.scalars(select(Message))] == ["b"]
        assert await session.get(Tenant, a.id) is None
    assert (await client.get("/api/v1/tenant", headers=a.headers)).status_code == 401
