"""Per-tenant generation counters: a cheap "has this changed?" shared by every process.

A writer bumps ``knowledge`` or ``config`` after its commit; readers keep local copies
tagged with the generation they were built from and rebuild when it moved. With Redis the
counter is shared across processes; without it, it is per process (the embedded default).
"""

from __future__ import annotations

import uuid

from frontdesk.kit.cache import Cache

KNOWLEDGE = "knowledge"
CONFIG = "config"
EMBEDDINGS = "embeddings"  # chunk vectors written by the embedding job (knowledge.chunks)


def _key(tenant_id: uuid.UUID, name: str) -> str:
    return f"gen:{tenant_id}:{name}"


async def current(cache: Cache, tenant_id: uuid.UUID, name: str) -> int:
    raw = await cache.get(_key(tenant_id, name))
    return int(raw) if raw else 0


async def bump(cache: Cache, tenant_id: uuid.UUID, name: str) -> int:
    return await cache.incr(_key(tenant_id, name))
