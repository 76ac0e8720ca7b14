"""Tasks are declared once on taskiq's shared broker; the process picks the real one.

A task is declared with ``@task(task_name="frontdesk.<domain>.<what>")`` in its domain's
``tasks.py``; the name is its address (``jobs.enqueue`` sends by name) and never changes once
released, since queued messages carry it.
"""

from __future__ import annotations

from taskiq import AsyncBroker, InMemoryBroker, async_shared_broker
from taskiq_redis import RedisStreamBroker

from frontdesk.config import Settings

task = async_shared_broker.task


def make_broker(settings: Settings) -> AsyncBroker:
    broker: AsyncBroker
    if settings.redis_url:
        # consumer_id "0": a worker's new group also reads jobs enqueued before it first started.
        broker = RedisStreamBroker(
            settings.redis_url,
            queue_name="frontdesk:jobs",
            consumer_group_name="frontdesk",
            consumer_id="0",
            unacknowledged_lock_timeout=60,
        )
    else:
        broker = InMemoryBroker(max_async_tasks=50)
    return broker


def install_broker(broker: AsyncBroker | None) -> AsyncBroker | None:
    """Route every task's ``.kiq()`` to ``broker``; returns the one it replaces (for restoring)."""
    previous: AsyncBroker | None = getattr(async_shared_broker, "_default_broker", None)
    async_shared_broker._default_broker = broker
    return previous


def current_broker() -> AsyncBroker:
    """The broker installed by the process's runtime (tasks are sent to it)."""
    broker: AsyncBroker | None = getattr(async_shared_broker, "_default_broker", None)
    if broker is None:
        raise RuntimeError("no broker installed (the runtime installs one at start-up)")
    return broker
