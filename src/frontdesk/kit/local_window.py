"""An in-process moving-window storage for the ``limits`` library (the embedded default,
without Redis).

``limits``' own async ``MemoryStorage`` expires entries with a background task that walks
every key and hops to a worker thread once per key; a task is started again after each hit.
With thousands of visitor sessions that walk never ends: measured under the chat benchmark it
kept a thread busy and added its GIL hand-offs to every request. Here each key keeps a deque of
hit times, pruned when the key is hit or read; idle keys are dropped by a sweep at most every
``SWEEP_SECONDS``. One event loop, no awaits inside an update: no locks needed.
"""

from __future__ import annotations

import time
from collections import deque

from limits.aio.storage import MovingWindowSupport, Storage

SWEEP_SECONDS = 30.0


class LocalMovingWindow(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["frontdesk+local"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._events: dict[str, deque[float]] = {}
        self._expiry: dict[str, float] = {}  # each key's window, for the sweep
        self._counters: dict[str, tuple[int, float]] = {}  # fixed-window counters: (count, expires)
        self._next_sweep = time.time() + SWEEP_SECONDS

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def _window(self, key: str, expiry: float, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        self._expiry[key] = expiry
        cutoff = now - expiry
        while events and events[0] <= cutoff:
            events.popleft()
        return events

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        idle = [k for k, events in self._events.items() if not events or events[-1] <= now - self._expiry[k]]
        for key in idle:
            del self._events[key], self._expiry[key]
        for key in [k for k, (_, expires) in self._counters.items() if expires <= now]:
            del self._counters[key]

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        now = time.time()
        self._sweep(now)
        events = self._window(key, expiry, now)
        if len(events) + amount > limit:
            return False
        events.extend([now] * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(time of the oldest hit in the window, hits in the window)."""
        now = time.time()
        events = self._window(key, expiry, now)
        return (events[0], len(events)) if events else (now, 0)

    # fixed-window counters (the moving-window strategy does not use them; the interface needs them)
    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        count, expires = self._counters.get(key, (0, 0.0))
        if expires <= now:
            count, expires = 0, now + expiry
        self._counters[key] = (count + amount, expires)
        return count + amount

    async def get(self, key: str) -> int:
        count, expires = self._counters.get(key, (0, 0.0))
        return count if expires > time.time() else 0

    async def get_expiry(self, key: str) -> float:
        return self._counters.get(key, (0, time.time()))[1]

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        cleared = len(self._events) + len(self._counters)
        self._events.clear()
        self._expiry.clear()
        self._counters.clear()
        return cleared

    async def clear(self, key: str) -> None:
        self._events.pop(key, None)
        self._expiry.pop(key, None)
        self._counters.pop(key, None)
