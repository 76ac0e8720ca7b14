"""Shared state with one interface: Redis when configured, in-process otherwise."""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl: float) -> None: ...
    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Set only if absent; True when this call set it (a lock or a once-only marker)."""
        ...

    async def delete(self, *keys: str) -> None: ...
    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Atomically add to an integer counter (created at 0); ``ttl`` applies when it is created."""
        ...

    async def ping(self) -> bool: ...


class MemoryCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: dict[str, tuple[float, bytes]] = {}
        self._max = max_entries

    def _live(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        return item[1]

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if len(self._data) >= self._max:
            self._evict()
        self._data[key] = (time.monotonic() + ttl, value)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        current = self._live(key)
        value = (int(current) if current is not None else 0) + amount
        expires = self._data[key][0] if current is not None else time.monotonic() + (ttl or 10 * 365 * 86400)
        self._data[key] = (expires, str(value).encode())
        return value

    async def ping(self) -> bool:
        return True

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, (exp, _) in self._data.items() if exp < now]:
            del self._data[key]
        while len(self._data) >= self._max:
            self._data.pop(next(iter(self._data)))


class RedisCache:
    def __init__(self, redis: Redis, prefix: str = "frontdesk:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self.redis.get(self.prefix + key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self.redis.set(self.prefix + key, value, px=max(1, int(ttl * 1000)))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(await self.redis.set(self.prefix + key, value, px=max(1, int(ttl * 1000)), nx=True))

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.redis.delete(*(self.prefix + k for k in keys))

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        full = self.prefix + key
        value = int(await self.redis.incrby(full, amount))
        if ttl is not None and value == amount:
            await self.redis.pexpire(full, max(1, int(ttl * 1000)))
        return value

    async def ping(self) -> bool:
        return bool(await self.redis.ping())
