"""The process's shared services, built once at start-up (app lifespan, worker, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from taskiq import AsyncBroker

from frontdesk.auth.key_cache import KeyResolver
from frontdesk.config import Settings
from frontdesk.db.engine import Database
from frontdesk.jobs.broker import make_broker
from frontdesk.kit.cache import Cache, MemoryCache, RedisCache

_current: Runtime | None = None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    redis: Redis | None
    keys: KeyResolver
    broker: AsyncBroker

    @classmethod
    async def start(cls, settings: Settings, *, worker: bool = False) -> Runtime:
        global _current
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        cache: Cache = RedisCache(redis) if redis is not None else MemoryCache()
        db = Database(settings)
        local_ttl = 1.0 if redis is not None else settings.api_key_cache_seconds
        keys = KeyResolver(db, cache if redis is not None else None,
                           local_ttl=local_ttl, shared_ttl=settings.api_key_cache_seconds)
        broker = make_broker(settings)
        broker.is_worker_process = worker
        await broker.startup()
        runtime = cls(settings, db, cache, redis, keys, broker)
        _current = runtime
        return runtime

    async def close(self) -> None:
        global _current
        await self.broker.shutdown()
        await self.db.dispose()
        if self.redis is not None:
            await self.redis.aclose()
        if _current is self:
            _current = None


def current_runtime() -> Runtime:
    """For background jobs, which run outside a request."""
    if _current is None:
        raise RuntimeError("Frontdesk runtime not started")
    return _current
