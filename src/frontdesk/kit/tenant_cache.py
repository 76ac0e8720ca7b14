"""``TenantCache``: one value per tenant, built from the database and kept in memory.

A value is tagged with what it was built from (generation counters, ``kit.generations``): a
lookup reads the current tag first (cheap), and rebuilds only when the tag moved or the value is
older than ``max_age`` seconds (which covers a missed bump or a lagging read replica). Builds are
one at a time per tenant, so a burst of first requests builds once. The tag is read again under
the lock, before the build reads its rows: a write committed after that read bumps the tag
again, so a value can be stale by one build but is never tagged newer than its rows.

Memory is bounded by entry count and by a size the caller measures (characters, bytes): least
recently used tenants go first, and the newest entry is always kept.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T, V]):
    tag: T
    built_at: float  # monotonic
    size: int
    value: V


class TenantCache(Generic[T, V]):
    def __init__(
        self,
        *,
        size_of: Callable[[V], int],
        max_size: int,
        max_entries: int = 100_000,
        max_age: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size_of = size_of
        self.max_size = max_size
        self.max_entries = max_entries
        self.max_age = max_age
        self.builds = 0
        self.size = 0  # the sum of the cached values' sizes
        self._clock = clock
        self._entries: OrderedDict[uuid.UUID, _Entry[T, V]] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = weakref.WeakValueDictionary()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(
        self,
        tenant_id: uuid.UUID,
        read_tag: Callable[[], Awaitable[T]],
        build: Callable[[T], Awaitable[V]],
    ) -> tuple[T, V]:
        """The tenant's value and the tag it was built from, built by ``build(tag)`` when missing,
        stale (its tag is not ``read_tag()``'s) or too old."""
        entry = self._fresh(tenant_id, await read_tag())
        if entry is None:
            lock = self._locks.get(tenant_id)
            if lock is None:
                lock = self._locks[tenant_id] = asyncio.Lock()
            async with lock:
                tag = await read_tag()
                entry = self._fresh(tenant_id, tag)
                if entry is None:
                    value = await build(tag)
                    self.builds += 1
                    entry = _Entry(tag, self._clock(), self.size_of(value), value)
                    self._store(tenant_id, entry)
        return entry.tag, entry.value

    def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Forget a tenant's value; the next lookup builds it again."""
        entry = self._entries.pop(tenant_id, None)
        if entry is not None:
            self.size -= entry.size

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def _fresh(self, tenant_id: uuid.UUID, tag: T) -> _Entry[T, V] | None:
        entry = self._entries.get(tenant_id)
        if entry is None or entry.tag != tag or self._clock() - entry.built_at >= self.max_age:
            return None
        self._entries.move_to_end(tenant_id)
        return entry

    def _store(self, tenant_id: uuid.UUID, entry: _Entry[T, V]) -> None:
        self.invalidate(tenant_id)
        self._entries[tenant_id] = entry
        self.size += entry.size
        while len(self._entries) > 1 and (len(self._entries) > self.max_entries or self.size > self.max_size):
            _, evicted = self._entries.popitem(last=False)
            self.size -= evicted.size
