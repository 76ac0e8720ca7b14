"""A small circuit breaker, one per LLM endpoint.

closed ──N consecutive failures──▶ open ──cooldown──▶ half-open ──trial ok──▶ closed
                                    ▲                     │
                                    └────trial failed─────┘

While open, ``allow()`` is False and the caller fails fast without a network call. In
half-open, one trial call is let through at a time (a trial that never reports back is
forgotten after another cooldown). ``release()`` reports an outcome that says nothing about
the endpoint's health (a 4xx for one tenant's key, a cancelled call).

The methods never await, so they are atomic within an event loop; a lock makes them safe
across threads too. Breakers are shared through ``BreakerRegistry``, keyed by endpoint URL
and tenant: one tenant's broken custom endpoint, or its slow 4,000-token requests to the
default endpoint, open only that tenant's breaker; an outage of the endpoint opens each
tenant's breaker after its own few failures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]
Clock = Callable[[], float]


class CircuitBreaker:
    def __init__(
        self, *, failure_threshold: int = 5, cooldown_s: float = 30.0, clock: Clock = time.monotonic
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started_at: float | None = None

    @property
    def state(self) -> State:
        with self._lock:
            if self._state == "open" and self._clock() - self._opened_at >= self.cooldown_s:
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """May a call go through now? In half-open, a True answer claims the one trial slot."""
        with self._lock:
            now = self._clock()
            if self._state == "closed":
                return True
            if self._state == "open":
                if now - self._opened_at < self.cooldown_s:
                    return False
                self._state = "half_open"
            trial = self._trial_started_at
            if trial is not None and now - trial < self.cooldown_s:
                return False
            self._trial_started_at = now
            return True

    def record_success(self) -> None:
        with self._lock:
            self._state = "closed"
            self._failures = 0
            self._trial_started_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == "open":  # a late report from a call started before opening
                return
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self._clock()
                self._trial_started_at = None

    def release(self) -> None:
        """A neutral outcome: frees the half-open trial slot, changes nothing else."""
        with self._lock:
            self._trial_started_at = None


class BreakerRegistry:
    """One breaker per key (an endpoint's base URL and a tenant), created on first use."""

    def __init__(self, factory: Callable[[], CircuitBreaker] = CircuitBreaker) -> None:
        self._factory = factory
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> CircuitBreaker:
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                breaker = self._breakers[key] = self._factory()
            return breaker


breakers = BreakerRegistry()
