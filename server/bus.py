"""The event bus: LocalBus inside one process, RedisBus across several nodes.

Subjects are plain strings (``room.42``); payloads are JSON-serialisable dicts. ``subscribe``
returns once the subscription is registered, so nothing published afterwards is missed.
Delivery is at-most-once: whatever must not be lost is persisted before it is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis.asyncio as redis
from redis.asyncio.client import PubSub

Message = dict[str, Any]
QUEUE_LIMIT = 1000


class Subscription(Protocol):
    """Messages of one subject, until closed."""

    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def close(self) -> None: ...


class Bus(Protocol):
    """Publish/subscribe by subject."""

    async def publish(self, subject: str, message: Message) -> None: ...

    async def subscribe(self, subject: str) -> Subscription: ...

    async def check(self) -> None: ...

    async def close(self) -> None: ...


class LocalSubscription:
    """A bounded queue fed by LocalBus; a slow reader loses its oldest messages."""

    def __init__(self, bus: LocalBus, subject: str) -> None:
        self._bus = bus
        self.subject = subject
        self.queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_LIMIT)

    def offer(self, message: Message) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(message)

    async def __aiter__(self) -> AsyncIterator[Message]:
        while True:
            yield await self.queue.get()

    async def close(self) -> None:
        self._bus.detach(self)


class LocalBus:
    """In-process fan-out to every subscription of a subject."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[LocalSubscription]] = {}

    async def publish(self, subject: str, message: Message) -> None:
        for subscription in list(self._subscriptions.get(subject, ())):
            subscription.offer(message)

    async def subscribe(self, subject: str) -> LocalSubscription:
        subscription = LocalSubscription(self, subject)
        self._subscriptions.setdefault(subject, set()).add(subscription)
        return subscription

    def detach(self, subscription: LocalSubscription) -> None:
        listeners = self._subscriptions.get(subscription.subject, set())
        listeners.discard(subscription)
        if not listeners:
            self._subscriptions.pop(subscription.subject, None)

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        self._subscriptions.clear()


class RedisSubscription:
    """One Redis pub/sub channel."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def __aiter__(self) -> AsyncIterator[Message]:
        async for raw in self._pubsub.listen():
            if raw.get("type") == "message":
                yield json.loads(raw["data"])

    async def close(self) -> None:
        with contextlib.suppress(redis.RedisError):
            await self._pubsub.unsubscribe()
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]


class RedisBus:
    """Redis pub/sub: a message published on one node reaches subscribers on every node."""

    def __init__(self, url: str, prefix: str = "sabaq:") -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    async def publish(self, subject: str, message: Message) -> None:
        await self._redis.publish(self._prefix + subject, json.dumps(message))

    async def subscribe(self, subject: str) -> RedisSubscription:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._prefix + subject)
        return RedisSubscription(pubsub)

    async def check(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def make_bus(redis_url: str | None) -> Bus:
    return RedisBus(redis_url) if redis_url else LocalBus()
