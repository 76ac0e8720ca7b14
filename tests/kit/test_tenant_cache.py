"""The per-tenant cache that the knowledge index and the vector matrices share."""

from __future__ import annotations

import asyncio
import uuid

from frontdesk.kit.tenant_cache import TenantCache

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


class Source:
    """A tenant's data with a generation tag; counts how often it was read."""

    def __init__(self) -> None:
        self.generation = 0
        self.reads = 0

    async def tag(self) -> int:
        return self.generation

    async def build(self, tag: int) -> str:
        self.reads += 1
        await asyncio.sleep(0.01)  # let other lookups pile up behind the build
        return f"value@{tag}"


async def test_a_burst_of_first_lookups_builds_once_and_a_moved_tag_rebuilds() -> None:
    cache: TenantCache[int, str] = TenantCache(size_of=len, max_size=1_000)
    source = Source()
    results = await asyncio.gather(*(cache.get(A, source.tag, source.build) for _ in range(20)))
    assert set(results) == {(0, "value@0")} and source.reads == 1
    source.generation = 1  # a write elsewhere bumped the generation
    assert await cache.get(A, source.tag, source.build) == (1, "value@1")
    assert source.reads == 2 and cache.builds == 2


async def test_values_older_than_max_age_are_rebuilt() -> None:
    now = [0.0]
    cache: TenantCache[int, str] = TenantCache(size_of=len, max_size=1_000, max_age=60, clock=lambda: now[0])
    source = Source()
    await cache.get(A, source.tag, source.build)
    now[0] = 59.0
    await cache.get(A, source.tag, source.build)
    assert source.reads == 1
    now[0] = 61.0
    await cache.get(A, source.tag, source.build)
    assert source.reads == 2


async def test_memory_bound_evicts_the_least_recently_used_tenant_and_keeps_the_newest() -> None:
    cache: TenantCache[int, str] = TenantCache(size_of=len, max_size=16)  # two "value@0" values
    sources = {tenant: Source() for tenant in (A, B, C)}
    for tenant in (A, B):
        await cache.get(tenant, sources[tenant].tag, sources[tenant].build)
    await cache.get(A, sources[A].tag, sources[A].build)  # A used again: B is the oldest now
    await cache.get(C, sources[C].tag, sources[C].build)
    assert len(cache) == 2 and cache.size == 14
    await cache.get(A, sources[A].tag, sources[A].build)
    await cache.get(B, sources[B].tag, sources[B].build)
    assert (sources[A].reads, sources[B].reads) == (1, 2)  # A was kept, B was evicted and rebuilt
    huge: TenantCache[int, str] = TenantCache(size_of=len, max_size=1)
    assert await huge.get(A, sources[A].tag, sources[A].build) == (0, "value@0")
    assert len(huge) == 1  # larger than the bound alone: still kept (the newest entry always is)
