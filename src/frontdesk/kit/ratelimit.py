"""Moving-window rate limits (the ``limits`` library) on Redis, or in-process without it."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from frontdesk.kit.errors import FrontdeskError
from frontdesk.kit.local_window import LocalMovingWindow


class RateLimited(FrontdeskError):
    status, code, title = 429, "rate_limited", "Too many requests"


def storage(redis_url: str | None) -> Storage:
    if redis_url:
        return RedisStorage("async+" + redis_url, implementation="redispy", key_prefix="frontdesk:limits")
    return LocalMovingWindow()


class RateLimiter:
    def __init__(self, redis_url: str | None) -> None:
        self.strategy = MovingWindowRateLimiter(storage(redis_url))

    async def hit(self, item: RateLimitItem, scope: str, *ids: str, unit: str = "messages") -> None:
        """Count one hit for (scope, ids); over the limit → 429 with Retry-After, naming the limit."""
        if await self.strategy.hit(item, scope, *ids):
            return
        reset, _ = await self.strategy.get_window_stats(item, scope, *ids)
        retry = max(1, math.ceil(reset - time.time()))
        raise RateLimited(
            f"Rate limit of {item.amount} {unit} per minute per {scope} reached; retry in {retry} s.",
            headers={"Retry-After": str(retry)},
            extra={"limit": f"{scope}_per_minute", "retry_after": retry},
        )
