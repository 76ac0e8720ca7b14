"""Tasks are declared once on taskiq's shared broker; the process picks the real one."""

from __future__ import annotations

from taskiq import AsyncBroker, InMemoryBroker, async_shared_broker
from taskiq_redis import RedisStreamBroker

from frontdesk.config import Settings

task = async_shared_broker.task


def make_broker(settings: Settings) -> AsyncBroker:
    broker: AsyncBroker
    if settings.redis_url:
        broker = RedisStreamBroker(settings.redis_url, queue_name="frontdesk:jobs")
    else:
        broker = InMemoryBroker(max_async_tasks=50)
    async_shared_broker.default_broker(broker)
    return broker
