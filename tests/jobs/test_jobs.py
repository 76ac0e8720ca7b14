"""Background jobs: enqueue after commit, in-process and Redis brokers, periodic jobs."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from frontdesk.db.session import unit_of_work
from frontdesk.jobs import periodic, registry
from frontdesk.jobs.broker import task
from frontdesk.jobs.enqueue import enqueue_after_commit, kicker, send
from frontdesk.kit.time import utcnow
from frontdesk.models import ApiKey
from frontdesk.runtime import Runtime
from tests import factories
from tests.conftest import REDIS_URL

received: list[str] = []


@task(task_name="tests.record")
async def record(value: str) -> None:
    received.append(value)


async def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_jobs_are_sent_only_after_commit(runtime: Runtime) -> None:
    received.clear()
    tenant = await factories.create_tenant(runtime)
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        enqueue_after_commit(session, "tests.record", "committed")
        assert received == []  # nothing leaves before the commit
    with pytest.raises(RuntimeError):
        async with unit_of_work(runtime.db, tenant_id=tenant) as session:
            enqueue_after_commit(session, "tests.record", "rolled back")
            raise RuntimeError("boom")

    async def got() -> bool:
        return received == ["committed"]

    assert await _wait_for(got)
    await asyncio.sleep(0.1)
    assert received == ["committed"]


async def test_a_task_object_is_still_accepted(runtime: Runtime) -> None:
    received.clear()
    tenant = await factories.create_tenant(runtime)
    async with unit_of_work(runtime.db, tenant_id=tenant) as session:
        enqueue_after_commit(session, record, "by object")

    async def got() -> bool:
        return received == ["by object"]

    assert await _wait_for(got)


async def test_an_unknown_task_name_is_refused(runtime: Runtime) -> None:
    with pytest.raises(LookupError, match="no_such_task"):
        kicker("frontdesk.no_such_task")


def test_the_registry_holds_every_task_under_its_released_name() -> None:
    # queued messages carry these names: renaming one strands the jobs already queued
    assert {
        "frontdesk.purge_dead_keys",
        "frontdesk.crisp.process_event",
        "frontdesk.crisp.deliver_reply",
        "frontdesk.crisp.sweep",
        "frontdesk.billing.sweep_events",
        "frontdesk.billing.report_usage",
        "frontdesk.privacy.apply_retention",
        "frontdesk.knowledge.embed_chunks",
        "frontdesk.knowledge.reembed_tenant",
        "frontdesk.knowledge.sweep_embeddings",
        "frontdesk.knowledge.sweep_embedding_models",
        "frontdesk.knowledge.run_import",
        "frontdesk.knowledge.sync_due_imports",
    } <= registry.task_names()


def test_every_periodic_job_names_a_registered_task() -> None:
    assert {item.task_name for item in periodic.SCHEDULE} <= registry.task_names()


async def _dead_key(runtime: Runtime) -> tuple:
    t = await factories.tenant_with_key(runtime)
    async with unit_of_work(runtime.db, tenant_id=t.id) as session:
        await session.execute(update(ApiKey).values(revoked_at=utcnow() - timedelta(days=31)))
    return t


async def _key_gone(runtime: Runtime, t) -> bool:
    async with unit_of_work(runtime.db, tenant_id=t.id) as session:
        return (await session.scalar(select(ApiKey.id))) is None


async def test_purge_job_removes_long_dead_keys_only(runtime: Runtime) -> None:
    dead = await _dead_key(runtime)
    alive = await factories.tenant_with_key(runtime)
    await send("frontdesk.purge_dead_keys")
    assert await _wait_for(lambda: _key_gone(runtime, dead))
    assert not await _key_gone(runtime, alive)


@pytest.mark.redis
async def test_redis_broker_and_worker_run_jobs(settings) -> None:
    redis_settings = settings.model_copy(update={"redis_url": REDIS_URL})
    web = await Runtime.start(redis_settings)
    try:
        dead = await _dead_key(web)
        async with unit_of_work(web.db, tenant_id=dead.id) as session:
            enqueue_after_commit(session, "frontdesk.purge_dead_keys")
    finally:
        await web.close()
    # the job waits in Redis until a worker starts
    from taskiq.api import run_receiver_task

    worker = await Runtime.start(redis_settings, worker=True)
    receiver = asyncio.create_task(run_receiver_task(worker.broker))
    try:
        assert await _wait_for(lambda: _key_gone(worker, dead))
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiver
        await worker.close()


@pytest.mark.redis
async def test_periodic_job_runs_once_per_slot_across_processes(settings) -> None:
    redis_settings = settings.model_copy(update={"redis_url": REDIS_URL})
    one, two = await Runtime.start(redis_settings), await Runtime.start(redis_settings)
    try:
        await one.redis.flushdb()  # type: ignore[union-attr]
        schedule = (periodic.Periodic("tests.record", 3600.0),)
        sent = await periodic.tick(one, schedule) + await periodic.tick(two, schedule)
        assert sent == ["tests.record"]
    finally:
        await two.close()
        await one.close()
