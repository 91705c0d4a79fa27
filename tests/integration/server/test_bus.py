"""LocalBus in one process; RedisBus across two "nodes" through a real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from server.bus import Bus, LocalBus, Message, RedisBus, Subscription
from tests.support import require

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _redis_reachable() -> bool:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (redis.RedisError, OSError):
        return False
    finally:
        await client.aclose()
    return True


@pytest.fixture
async def redis_nodes() -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    require(await _redis_reachable(), "Redis on 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    first, second = RedisBus(REDIS_URL, prefix), RedisBus(REDIS_URL, prefix)
    yield first, second
    await first.close()
    await second.close()


async def next_message(subscription: Subscription) -> Message:
    async with asyncio.timeout(5):
        async for message in subscription:
            return message
    raise AssertionError("subscription ended")


async def test_local_bus_delivers_to_every_subscriber_of_the_subject() -> None:
    bus: Bus = LocalBus()
    first = await bus.subscribe("room.1")
    second = await bus.subscribe("room.1")
    other = await bus.subscribe("room.2")
    await bus.publish("room.1", {"type": "chat", "id": 1})
    assert await next_message(first) == {"type": "chat", "id": 1}
    assert await next_message(second) == {"type": "chat", "id": 1}
    await bus.publish("room.2", {"type": "x"})
    assert await next_message(other) == {"type": "x"}
    for subscription in (first, second, other):
        await subscription.close()
    await bus.publish("room.1", {"type": "nobody listens"})


async def test_a_message_published_on_one_node_reaches_the_other(
    redis_nodes: tuple[RedisBus, RedisBus],
) -> None:
    node_a, node_b = redis_nodes
    await node_a.check()
    subscription = await node_b.subscribe("room.42")
    await node_a.publish("room.42", {"type": "chat", "text": "Сәлем"})
    assert await next_message(subscription) == {"type": "chat", "text": "Сәлем"}
    await subscription.close()


async def test_redis_bus_check_fails_when_redis_is_unreachable() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0")
    with pytest.raises((redis.RedisError, OSError)):
        await bus.check()
    await bus.close()
