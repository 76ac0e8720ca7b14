"""Live events fanned out to every subscriber in every process: Redis pub/sub when
``FRONTDESK_REDIS_URL`` is set, in-process otherwise (the embedded default). Same interface.

The hub only wakes live subscribers; it is not storage. What must not be lost is written first
(a message row), and a subscriber that reconnects reads what it missed from there. So a
subscriber that cannot keep up (``MAX_QUEUED`` events waiting) or whose Redis connection
dropped is told so (``SubscriptionLost``) instead of slowing publishers or growing memory: it
reconnects and catches up from storage. A subscription is live once Redis has the SUBSCRIBE,
which ``subscribe`` sends but cannot confirm; so a stream built on the hub also reads storage on
each heartbeat: a missed wake-up delays an event by one heartbeat, it never loses it.

    async with pubsub.subscribe("inbox:<tenant>") as events:
        data = await events.next(within=15)  # None: nothing for 15 s (send a heartbeat)
    await pubsub.publish("inbox:<tenant>", b"...")
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub as RedisClientPubSub

log = structlog.get_logger()
MAX_QUEUED = 256  # events waiting for one subscriber before it is dropped (it catches up from storage)
RECONNECT_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)  # the reader's backoff after Redis went away


class SubscriptionLost(Exception):
    """Events were dropped for this subscriber: reconnect and read what was missed from storage."""


class Subscription:
    """One subscriber's queue of events on one channel."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.lost = False
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(MAX_QUEUED)

    def deliver(self, data: bytes) -> None:
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self.lose()

    def lose(self) -> None:
        self.lost = True
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(b"")

    async def next(self, within: float | None = None) -> bytes | None:
        """The next event, or None when ``within`` seconds passed without one.
        Raises ``SubscriptionLost`` once events were dropped."""
        if self.lost:
            raise SubscriptionLost(self.channel)
        try:
            data = await asyncio.wait_for(self._queue.get(), within)
        except TimeoutError:
            return None
        if self.lost:
            raise SubscriptionLost(self.channel)
        return data


class PubSub(Protocol):
    async def publish(self, channel: str, data: bytes) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    def subscribers(self, channel: str) -> int:
        """This process's subscribers on ``channel``."""
        ...

    async def close(self) -> None: ...


class MemoryPubSub:
    """In-process fan-out: the embedded default, and each process's local half under Redis."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[Subscription]] = {}

    async def publish(self, channel: str, data: bytes) -> None:
        self.deliver(channel, data)

    def deliver(self, channel: str, data: bytes) -> None:
        for subscription in tuple(self._subscriptions.get(channel, ())):
            subscription.deliver(data)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = self.add(channel)
        try:
            yield subscription
        finally:
            self.remove(subscription)

    def add(self, channel: str) -> Subscription:
        subscription = Subscription(channel)
        self._subscriptions.setdefault(channel, set()).add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> bool:
        """Forget ``subscription``; True when it was its channel's last."""
        members = self._subscriptions.get(subscription.channel)
        if members is None:
            return False
        members.discard(subscription)
        if members:
            return False
        del self._subscriptions[subscription.channel]
        return True

    def subscribers(self, channel: str) -> int:
        return len(self._subscriptions.get(channel, ()))

    def channels(self) -> list[str]:
        return list(self._subscriptions)

    def lose_all(self) -> None:
        for members in self._subscriptions.values():
            for subscription in members:
                subscription.lose()

    async def close(self) -> None:
        self.lose_all()
        self._subscriptions.clear()


class RedisPubSub:
    """Fan-out across processes through Redis pub/sub: one connection per process, subscribed
    to the channels its local subscribers want; a reader task hands each message to them."""

    def __init__(self, redis: Redis, prefix: str = "frontdesk:events:") -> None:
        self.redis = redis
        self.prefix = prefix
        self.local = MemoryPubSub()
        self._pubsub: RedisClientPubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, channel: str, data: bytes) -> None:
        await self.redis.publish(self.prefix + channel, data)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = self.local.add(channel)
        try:
            async with self._lock:  # sent every time (Redis ignores a repeat): after a reconnect too
                await self._connection().subscribe(self.prefix + channel)
                self._start_reader()
            yield subscription
        finally:
            if self.local.remove(subscription) and self._pubsub is not None:
                async with self._lock:
                    if not self.local.subscribers(channel):
                        with contextlib.suppress(Exception):  # Redis away: the reconnect resubscribes
                            await self._pubsub.unsubscribe(self.prefix + channel)

    def subscribers(self, channel: str) -> int:
        return self.local.subscribers(channel)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None
        await self.local.close()

    def _connection(self) -> RedisClientPubSub:
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        return self._pubsub

    def _start_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="frontdesk.pubsub.reader")

    async def _read(self) -> None:
        failures = 0
        while True:
            try:
                async with self._lock:  # subscribe() starts a new reader under the same lock
                    pubsub = self._connection()
                    if not pubsub.subscribed:
                        self._reader = None
                        return
                message = await pubsub.get_message(timeout=1.0)
                failures = 0
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                data = message["data"]
                self.local.deliver(
                    channel.removeprefix(self.prefix), data if isinstance(data, bytes) else b""
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis went away: every subscriber missed events
                log.warning("pubsub.connection_lost", error=type(error).__name__)
                await self._reconnect(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
                failures += 1

    async def _reconnect(self, delay: float) -> None:
        """Drop the broken connection at once (so nothing more arrives through it), tell every
        subscriber it missed events, wait, and subscribe their channels on a new connection."""
        async with self._lock:
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None
            self.local.lose_all()
        await asyncio.sleep(delay)
        async with self._lock:
            channels = [self.prefix + channel for channel in self.local.channels()]
            if channels:
                with contextlib.suppress(Exception):  # still away: the next failure retries
                    await self._connection().subscribe(*channels)
