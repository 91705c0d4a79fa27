"""The inbox event stream (Server-Sent Events): the person's stream from a cursor, then live.

The bus subscription is opened first and the stored stream read second, so nothing committed in
between is missed; a live event whose number skips ahead (the bus drops, it does not queue
forever) makes the stream re-read the store from its last number. Events carry their stream
number as the SSE ``id``, so a browser's ``EventSource`` resumes with ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from server.bus import Bus, Message, Subscription
from server.inbox import InboxService, inbox_subject

RETRY_MS = 3000


def sse(event: dict[str, Any]) -> str:
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    if event.get("type") == "message":
        return f"id: {event['seq']}\nevent: message\ndata: {data}\n\n"
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n"


async def _pump(subscription: Subscription, queue: asyncio.Queue[Message]) -> None:
    async for message in subscription:
        queue.put_nowait(message)


class InboxStream:
    """One person's event stream, from ``since``, kept alive with comments."""

    def __init__(
        self, inbox: InboxService, bus: Bus, person_id: int, since: int, keepalive: float
    ) -> None:
        self._inbox = inbox
        self._bus = bus
        self._person_id = person_id
        self.last = since
        self._keepalive = keepalive

    async def events(self) -> AsyncIterator[str]:
        subscription = await self._bus.subscribe(inbox_subject(self._person_id))
        queue: asyncio.Queue[Message] = asyncio.Queue()
        pump = asyncio.create_task(_pump(subscription, queue))
        try:
            yield f"retry: {RETRY_MS}\n\n"
            async for chunk in self._catch_up():
                yield chunk
            yield sse({"type": "ready", "last_seq": self.last})
            while True:
                try:
                    live = await asyncio.wait_for(queue.get(), self._keepalive)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                async for chunk in self._live(live):
                    yield chunk
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            await subscription.close()

    async def _catch_up(self) -> AsyncIterator[str]:
        while True:
            batch = await self._inbox.since(self._person_id, self.last)
            for event in batch:
                self.last = event["seq"]
                yield sse(event)
            if not batch:
                return

    async def _live(self, event: Message) -> AsyncIterator[str]:
        if event.get("type") != "message":
            yield sse(event)
            return
        seq = int(event["seq"])
        if seq <= self.last:
            return
        if seq == self.last + 1:
            self.last = seq
            yield sse(event)
            return
        async for chunk in self._catch_up():
            yield chunk
