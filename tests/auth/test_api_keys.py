"""API key validation: 401/403 rules, origin checks for publishable keys, caching, revocation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event, update

from frontdesk.auth import service as key_service
from frontdesk.auth.keys import hash_key
from frontdesk.db.session import unit_of_work
from frontdesk.kit.time import utcnow
from frontdesk.models import ApiKey
from frontdesk.runtime import Runtime
from tests import factories

ME = "/api/v1/tenant"


@pytest.mark.parametrize(
    "headers", [{}, {"X-API-Key": ""}, {"X-API-Key": "fd_sk_" + "A" * 43}, {"X-API-Key": "not-a-key"}]
)
async def test_missing_or_unknown_key_is_401_problem(client: httpx.AsyncClient, headers) -> None:
    r = await client.get(ME, headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unauthorized"


async def test_valid_key_sees_its_tenant(client: httpx.AsyncClient, tenant_a) -> None:
    r = await client.get(ME, headers=tenant_a.headers)
    assert r.status_code == 200
    assert r.json()["id"] == str(tenant_a.id)


async def test_key_is_stored_only_as_a_hash(runtime: Runtime, tenant_a) -> None:
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        key = await session.get(ApiKey, tenant_a.key_id)
    assert key is not None
    assert key.key_hash == hash_key(tenant_a.key) and tenant_a.key not in (key.key_hash, key.key_prefix)
    assert tenant_a.key.startswith(key.key_prefix) and len(key.key_prefix) < 16


async def test_revoked_key_is_401_at_once(client: httpx.AsyncClient, runtime: Runtime, tenant_a) -> None:
    assert (await client.get(ME, headers=tenant_a.headers)).status_code == 200
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        await key_service.revoke_key(session, runtime.keys, tenant_a.key_id)
    assert (await client.get(ME, headers=tenant_a.headers)).status_code == 401


async def test_expired_key_is_401(client: httpx.AsyncClient, runtime: Runtime) -> None:
    t = await factories.tenant_with_key(runtime, expires_at=utcnow() + timedelta(days=1))
    assert (await client.get(ME, headers=t.headers)).status_code == 200
    async with unit_of_work(runtime.db, tenant_id=t.id) as session:
        await session.execute(update(ApiKey).values(expires_at=utcnow() - timedelta(seconds=1)))
    await runtime.keys.invalidate([hash_key(t.key)], revoked=False)
    r = await client.get(ME, headers=t.headers)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_wrong_scope_is_403(client: httpx.AsyncClient, runtime: Runtime) -> None:
    t = await factories.tenant_with_key(runtime, scopes=["chat:write"])
    r = await client.get(ME, headers=t.headers)
    assert r.status_code == 403
    assert "config:read" in r.json()["detail"]


async def test_publishable_key_only_from_allowed_origin(client: httpx.AsyncClient, runtime: Runtime) -> None:
    t = await factories.tenant_with_key(runtime, type="publishable", allowed_origins=["https://shop.test"])
    r = await client.get(ME, headers={**t.headers, "Origin": "https://evil.test"})
    assert r.status_code == 403 and "origin" in r.json()["detail"]
    r = await client.get(ME, headers=t.headers)  # no Origin at all
    assert r.status_code == 403
    # from the right origin it authenticates, but a publishable key is chat-only
    r = await client.get(ME, headers={**t.headers, "Origin": "https://shop.test"})
    assert r.status_code == 403 and "config:read" in r.json()["detail"]


async def test_steady_state_costs_no_database_lookup(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a
) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "api_keys" in statement:
            statements.append(statement)

    await client.get(ME, headers=tenant_a.headers)  # warm
    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        for _ in range(50):
            assert (await client.get(ME, headers=tenant_a.headers)).status_code == 200
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", record)
    assert statements == []


async def test_last_used_is_recorded_in_batches(
    client: httpx.AsyncClient, runtime: Runtime, tenant_a
) -> None:
    await client.get(ME, headers=tenant_a.headers)
    await runtime.keys.flush_last_used()
    async with unit_of_work(runtime.db, tenant_id=tenant_a.id) as session:
        key = await session.get(ApiKey, tenant_a.key_id)
    assert key is not None and key.last_used_at is not None
    assert utcnow() - key.last_used_at < timedelta(minutes=1)


@pytest.mark.redis
async def test_revocation_reaches_other_processes_within_a_second(settings, runtime: Runtime) -> None:
    """Two runtimes (as two server processes would) share Redis; each has its own L1 cache."""
    from tests.conftest import REDIS_URL

    redis_settings = settings.model_copy(update={"redis_url": REDIS_URL})
    one = await Runtime.start(redis_settings)
    two = await Runtime.start(redis_settings)
    try:
        t = await factories.tenant_with_key(one, "Shared")
        assert (await one.keys.resolve(t.key)) is not None
        lookups = two.keys.db_lookups
        snapshot = await two.keys.resolve(t.key)
        assert snapshot is not None and not snapshot.revoked
        assert two.keys.db_lookups == lookups  # served by Redis, not the database

        async with unit_of_work(one.db, tenant_id=t.id) as session:
            await key_service.revoke_key(session, one.keys, t.key_id)
        assert (await one.keys.resolve(t.key)).revoked  # type: ignore[union-attr]
        await asyncio.sleep(1.05)  # the other process's L1 entry lives at most 1 s
        assert (await two.keys.resolve(t.key)).revoked  # type: ignore[union-attr]
    finally:
        await two.close()
        await one.close()
