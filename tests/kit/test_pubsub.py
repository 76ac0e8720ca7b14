"""Live events reach every subscriber of a channel, in this process or (through Redis) in
another; a subscriber that falls behind or loses Redis is told to catch up from storage."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from frontdesk.kit import pubsub
from frontdesk.kit.pubsub import MemoryPubSub, PubSub, RedisPubSub, SubscriptionLost
from tests.conftest import REDIS_URL


async def test_in_process_events_reach_every_subscriber_of_their_channel_only() -> None:
    hub = MemoryPubSub()
    async with (
        hub.subscribe("inbox:a") as first,
        hub.subscribe("inbox:a") as second,
        hub.subscribe("inbox:b") as other,
    ):
        await hub.publish("inbox:a", b"hello")
        assert await first.next(within=1) == b"hello"
        assert await second.next(within=1) == b"hello"
        assert await other.next(within=0.05) is None  # nothing for channel b: a heartbeat is due
        assert hub.subscribers("inbox:a") == 2
    assert hub.subscribers("inbox:a") == 0


async def test_a_subscriber_that_falls_behind_is_dropped_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pubsub, "MAX_QUEUED", 3)
    hub = MemoryPubSub()
    async with hub.subscribe("inbox:a") as slow, hub.subscribe("inbox:a") as fast:
        for n in range(5):
            await hub.publish("inbox:a", str(n).encode())
            assert await fast.next(within=1) == str(n).encode()
        with pytest.raises(SubscriptionLost):  # it reconnects and reads what it missed from storage
            await slow.next(within=1)


@pytest.fixture
async def redis_hubs() -> AsyncIterator[tuple[RedisPubSub, RedisPubSub, Redis]]:
    """Two processes' hubs: each has its own Redis connection."""
    clients = [Redis.from_url(REDIS_URL, client_name=f"hub-{uuid.uuid4().hex}") for _ in range(3)]
    hubs = [RedisPubSub(clients[0]), RedisPubSub(clients[1])]
    yield hubs[0], hubs[1], clients[2]
    for hub in hubs:
        await hub.close()
    for client in clients:
        await client.aclose()


async def wait_subscribed(redis: Redis, channel: str, count: int) -> None:
    for _ in range(100):
        numbers = dict(await redis.pubsub_numsub(channel))
        if numbers.get(channel.encode(), 0) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{channel} never had {count} subscribers")


async def test_events_cross_processes_through_redis(
    redis_hubs: tuple[RedisPubSub, RedisPubSub, Redis],
) -> None:
    api_1, api_2, observer = redis_hubs
    channel = f"inbox:{uuid.uuid4()}"
    hubs: list[PubSub] = [api_1, api_2]
    async with api_1.subscribe(channel) as here, api_2.subscribe(channel) as there:
        await wait_subscribed(observer, "frontdesk:events:" + channel, 2)
        await hubs[0].publish(channel, b"new handoff")
        assert await here.next(within=2) == b"new handoff"
        assert await there.next(within=2) == b"new handoff"
    # the last local subscriber gone: the process stops listening to the channel
    for _ in range(100):
        if not dict(await observer.pubsub_numsub("frontdesk:events:" + channel)).get(
            ("frontdesk:events:" + channel).encode()
        ):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the channel is still subscribed")


async def test_a_dropped_redis_connection_tells_subscribers_to_catch_up_and_then_resubscribes(
    redis_hubs: tuple[RedisPubSub, RedisPubSub, Redis],
) -> None:
    api_1, _, observer = redis_hubs
    channel = f"inbox:{uuid.uuid4()}"
    full = "frontdesk:events:" + channel
    async with api_1.subscribe(channel) as before:
        await wait_subscribed(observer, full, 1)
        name = api_1.redis.get_connection_kwargs()["client_name"]
        (client,) = [c for c in await observer.client_list(_type="pubsub") if c["name"] == name]
        await observer.client_kill_filter(_id=client["id"])  # the process's connection drops
        with pytest.raises(SubscriptionLost):
            await before.next(within=5)
        async with api_1.subscribe(channel) as after:  # the client reconnects its stream
            # it reads what it missed from storage; live events reach it again once Redis is back
            for _ in range(100):
                await observer.publish(full, b"after the outage")
                if await after.next(within=0.05) == b"after the outage":
                    break
            else:
                raise AssertionError("no event after the outage")
