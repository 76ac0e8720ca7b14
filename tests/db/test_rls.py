"""Layer two of isolation: PostgreSQL Row-Level Security, seen through raw SQL as the app role."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.db.base import TenantOwned
from frontdesk.db.tenancy import TENANT_KEY
from frontdesk.models import Base
from frontdesk.runtime import Runtime
from tests import factories
from tests.db.test_tenancy import _conversation_with_message

pytestmark = pytest.mark.skipif(os.environ.get("FRONTDESK_TEST_DB") != "postgres", reason="PostgreSQL only")


async def test_app_role_is_not_superuser_and_cannot_bypass_rls(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
    assert tuple(row) == (False, False)


async def test_every_tenant_table_has_forced_rls(runtime: Runtime) -> None:
    tables = {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)}
    tables.add("tenants")
    async with runtime.db.engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    text("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity")
                )
            )
            .scalars()
            .all()
        )
    assert tables <= set(rows)


async def test_raw_select_with_tenant_a_setting_returns_no_row_of_b(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a, "secret of A")
    await _conversation_with_message(runtime, b, "secret of B")

    async with runtime.db.engine.connect() as conn:  # the app role, no ORM
        async with conn.begin():
            await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a)})
            rows = (await conn.execute(text("SELECT * FROM messages"))).mappings().all()
        assert {r["content"] for r in rows} == {"secret of A"}
        assert {r["tenant_id"] for r in rows} == {a}
        async with conn.begin():  # the setting is per transaction: gone now, so nothing at all
            assert (await conn.execute(text("SELECT count(*) FROM messages"))).scalar() == 0
            assert (await conn.execute(text("SELECT count(*) FROM tenants"))).scalar() == 0


async def test_rls_refuses_writing_into_another_tenant(runtime: Runtime) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    async with runtime.db.engine.connect() as conn, conn.begin():
        await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a)})
        with pytest.raises(Exception, match="row-level security"):
            await conn.execute(
                text(
                    "INSERT INTO conversations (id, tenant_id, session_id, channel, status, created_at, updated_at) "
                    "VALUES (gen_random_uuid(), :b, 'x', 'api', 'open', now(), now())"
                ),
                {"b": str(b)},
            )


async def test_orm_bug_would_still_be_caught_by_rls(runtime: Runtime) -> None:
    """Switch the ORM layer off for a session and the database still hides B's rows."""
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, b, "secret of B")
    engine = create_async_engine(runtime.db.url)
    try:
        async with engine.connect() as conn, conn.begin():
            await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a)})
            # a raw text() statement skips the ORM hook entirely
            assert (await conn.execute(text("SELECT content FROM messages"))).all() == []
    finally:
        await engine.dispose()
    assert TENANT_KEY  # the ORM key exists; the raw path above never used it
