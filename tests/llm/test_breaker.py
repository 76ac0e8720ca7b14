from __future__ import annotations

from frontdesk.llm.breaker import BreakerRegistry, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(threshold: int = 3, cooldown: float = 10.0) -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    return CircuitBreaker(failure_threshold=threshold, cooldown_s=cooldown, clock=clock), clock


def test_opens_after_consecutive_failures_only() -> None:
    breaker, _ = make(threshold=3)
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()  # resets the count
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_half_open_lets_one_trial_through_and_success_closes() -> None:
    breaker, clock = make(threshold=1, cooldown=10)
    breaker.record_failure()
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state == "half_open"
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow() and breaker.allow()


def test_failed_trial_reopens_for_another_cooldown() -> None:
    breaker, clock = make(threshold=1, cooldown=10)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 5
    assert not breaker.allow()
    clock.now += 5
    assert breaker.allow()


def test_released_or_abandoned_trial_frees_the_slot() -> None:
    breaker, clock = make(threshold=1, cooldown=10)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.release()  # neutral outcome, e.g. a 400
    assert breaker.allow()  # a new trial
    clock.now += 10  # that trial never reported back
    assert breaker.allow()


def test_registry_keeps_one_breaker_per_endpoint() -> None:
    registry = BreakerRegistry()
    assert registry.get("http://a/v1") is registry.get("http://a/v1")
    assert registry.get("http://a/v1") is not registry.get("http://b/v1")
