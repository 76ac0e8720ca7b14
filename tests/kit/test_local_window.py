"""The in-process moving window behind the rate limits when there is no Redis."""

from __future__ import annotations

import pytest
from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter

from frontdesk.kit import local_window
from frontdesk.kit.local_window import LocalMovingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(local_window.time, "time", fake)
    return fake


async def test_a_moving_window_refuses_past_the_limit_and_frees_as_hits_age(clock: Clock) -> None:
    storage = LocalMovingWindow()
    limiter = MovingWindowRateLimiter(storage)
    per_minute = RateLimitItemPerMinute(3)
    assert [await limiter.hit(per_minute, "session", "a") for _ in range(4)] == [True, True, True, False]
    assert await limiter.hit(per_minute, "session", "b")  # another key has its own window
    clock.now += 30
    assert not await limiter.hit(per_minute, "session", "a")  # a moving window, not a fixed one
    clock.now += 30.5
    assert await limiter.hit(per_minute, "session", "a")  # the first three hits are a minute old


async def test_retry_after_comes_from_the_oldest_hit(clock: Clock) -> None:
    limiter = MovingWindowRateLimiter(LocalMovingWindow())
    per_minute = RateLimitItemPerMinute(2)
    await limiter.hit(per_minute, "tenant", "t")
    clock.now += 10
    await limiter.hit(per_minute, "tenant", "t")
    reset, remaining = await limiter.get_window_stats(per_minute, "tenant", "t")
    assert remaining == 0 and reset == pytest.approx(clock.now - 10 + 60)


async def test_idle_keys_are_swept(clock: Clock) -> None:
    storage = LocalMovingWindow()
    limiter = MovingWindowRateLimiter(storage)
    for n in range(50):
        await limiter.hit(RateLimitItemPerMinute(5), "session", str(n))
    clock.now += local_window.SWEEP_SECONDS + 61
    await limiter.hit(RateLimitItemPerMinute(5), "session", "fresh")
    assert len(storage._events) == 1 and "fresh" in next(iter(storage._events))
