"""One connection's view of a session's chat log: each visible entry once, in ``seq`` order.

Live entries come from the bus in whatever order the nodes published them; a gap (an entry
newer than the next expected one) is filled from the database before anything is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from server.chat import visible_to

Entry = dict[str, Any]
Fetch = Callable[[int], Awaitable[list[Entry]]]


class ChatFeed:
    """Tracks the last ``seq`` this connection has been given (``cursor``)."""

    def __init__(
        self, person_id: int, cursor: int, fetch: Fetch, send: Callable[[dict[str, Any]], None]
    ) -> None:
        self.person_id = person_id
        self.cursor = cursor
        self._fetch = fetch
        self._send = send
        self._lock = asyncio.Lock()

    async def deliver(self, entry: Entry) -> None:
        """A live entry from the bus."""
        async with self._lock:
            if entry["id"] <= self.cursor:
                return
            if entry["id"] == self.cursor + 1:
                self._pass(entry)
                return
            for missing in await self._fetch(self.cursor):
                if missing["id"] > self.cursor:
                    self._pass(missing)

    async def start(self, since: int, register: Callable[[], None]) -> None:
        """Registers the feed for live entries and replays everything after ``since`` first:
        live entries wait on the lock, then skip what the replay already held."""
        async with self._lock:
            register()
            await self._replay(since)

    async def replay(self, since: int) -> None:
        """Rewinds: everything after ``since`` as one ``chat_history`` message, which replaces
        whatever the client holds after ``since``; live delivery then goes on from its end."""
        async with self._lock:
            await self._replay(since)

    async def _replay(self, since: int) -> None:
        entries = await self._fetch(since)
        visible = [e for e in entries if visible_to(e, self.person_id)]
        self._send({"type": "chat_history", "since": since, "messages": visible})
        self.cursor = entries[-1]["id"] if entries else since

    def _pass(self, entry: Entry) -> None:
        self.cursor = entry["id"]
        if visible_to(entry, self.person_id):
            self._send({"type": "chat", "message": entry})
