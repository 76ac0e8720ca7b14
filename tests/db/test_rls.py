"""Layer two of isolation: PostgreSQL Row-Level Security, seen through raw SQL as the app role."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from frontdesk.config import Settings
from frontdesk.db import migrate
from frontdesk.db.base import TenantOwned
from frontdesk.db.engine import Database
from frontdesk.db.session import unit_of_work
from frontdesk.db.tenancy import TENANT_KEY, TenancyError, admin_scope_key
from frontdesk.models import Base, Message, Tenant
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


# What a SQL injection (or anything else holding an app-role connection) would try, to lift RLS.
BYPASS_ATTEMPTS = [
    "SELECT set_config('app.admin', 'on', true)",  # the bypass before migration 0007
    "SET LOCAL app.admin = 'on'",
    "SET app.admin = 'on'",
    "SELECT set_config('app.admin_scope', 'on', true)",
    "SELECT set_config('app.admin_scope', repeat('0', 64), true)",
]


@pytest.mark.parametrize("attempt", BYPASS_ATTEMPTS)
async def test_app_role_cannot_turn_on_the_admin_bypass(runtime: Runtime, attempt: str) -> None:
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a, "secret of A")
    await _conversation_with_message(runtime, b, "secret of B")
    engine = create_async_engine(runtime.db.url)  # the app role, straight from its URL
    try:
        async with engine.connect() as conn, conn.begin():
            await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a)})
            await conn.execute(text(attempt))
            contents = (await conn.execute(text("SELECT content FROM messages"))).scalars().all()
            names = (await conn.execute(text("SELECT name FROM tenants"))).scalars().all()
        assert contents == ["secret of A"]
        assert names == ["A"]
    finally:
        await engine.dispose()


async def _visible(conn: AsyncConnection) -> tuple[list[str], list[str]]:
    contents = (await conn.execute(text("SELECT content FROM messages ORDER BY content"))).scalars().all()
    names = (await conn.execute(text("SELECT name FROM tenants ORDER BY name"))).scalars().all()
    return list(contents), list(names)


async def test_an_admin_token_seen_once_opens_nothing_later(runtime: Runtime, settings: Settings) -> None:
    """The admin-scope token is bound to its backend and transaction: replaying it elsewhere fails."""
    a = await factories.create_tenant(runtime, "A")
    b = await factories.create_tenant(runtime, "B")
    await _conversation_with_message(runtime, a, "secret of A")
    await _conversation_with_message(runtime, b, "secret of B")
    engine = create_async_engine(runtime.db.url)
    try:
        async with engine.connect() as conn, engine.connect() as other:
            async with conn.begin():  # a legitimate admin scope, with the deployment's key
                await conn.execute(
                    text("SELECT frontdesk_admin_scope(:k)"), {"k": admin_scope_key(settings.secret_key)}
                )
                assert await _visible(conn) == (["secret of A", "secret of B"], ["A", "B"])
                token = (await conn.execute(text("SELECT current_setting('app.admin_scope')"))).scalar_one()
            for c in (conn, other):  # a later transaction, on the same backend and on another one
                async with c.begin():
                    await c.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(a)})
                    await c.execute(text("SELECT set_config('app.admin_scope', :v, true)"), {"v": token})
                    assert await _visible(c) == (["secret of A"], ["A"])
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "attempt",
    [
        "SELECT frontdesk_admin_scope('guessed')",
        "SELECT frontdesk_admin_scope(encode(app_key_hash, 'hex')) FROM frontdesk_private.admin_scope",
        "SELECT set_config('app.admin_scope', frontdesk_private.transaction_token(), true)",
        "SET ROLE postgres",
        "SELECT set_config('role', 'postgres', true)",
    ],
)
async def test_app_role_cannot_reach_the_admin_scope_key(runtime: Runtime, attempt: str) -> None:
    engine = create_async_engine(runtime.db.url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match=r"admin scope refused|permission denied"):
                async with conn.begin():
                    await conn.execute(text(attempt))
    finally:
        await engine.dispose()


async def test_every_policy_trusts_only_the_tenant_or_the_admin_scope_check(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT c.relname, p.polname, pg_get_expr(p.polqual, p.polrelid),"
                    " pg_get_expr(p.polwithcheck, p.polrelid)"
                    " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
                )
            )
        ).all()
        forced = set(
            (
                await conn.execute(
                    text("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity")
                )
            )
            .scalars()
            .all()
        )
    policies: dict[str, set[str]] = {}
    for table, name, qual, check in rows:
        policies.setdefault(table, set()).add(name)
        for expression in (qual, check):
            assert "'app.admin'" not in expression, (table, name)
            assert "frontdesk_admin_scope_active()" in expression, (table, name)
    assert forced and all(policies[table] == {"tenant_isolation"} for table in forced)


async def test_a_deployment_with_another_key_cannot_enter_an_admin_scope(
    runtime: Runtime, settings: Settings
) -> None:
    """A process holding the app role's URL but not the deployment's secret gets no admin scope."""
    await factories.create_tenant(runtime, "A")
    impostor = Database(settings.model_copy(update={"secret_key": "i" * 40}))
    try:
        with pytest.raises(TenancyError, match="admin scope refused") as caught:
            async with unit_of_work(impostor, admin=("impostor", "look around")) as session:
                await session.scalars(select(Message))
        assert admin_scope_key("i" * 40) not in str(caught.value)  # the key is not in the message
    finally:
        await impostor.dispose()


async def test_setup_roles_is_idempotent_and_admin_scopes_keep_working(
    runtime: Runtime, settings: Settings, database_urls: dict[str, str]
) -> None:
    a = await factories.create_tenant(runtime, "A")
    for _ in range(2):
        await migrate.setup_roles(
            database_urls["owner"], admin_scope_key=admin_scope_key(settings.secret_key)
        )
    async with unit_of_work(runtime.db, admin=("tests", "after setup-roles")) as session:
        assert await session.get(Tenant, a) is not None
