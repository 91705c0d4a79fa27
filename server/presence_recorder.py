"""Presence events written in the order they happen, off the live room's path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from server.db.models import utcnow

log = logging.getLogger(__name__)

Record = Callable[[int, int, str, datetime], Awaitable[None]]
Event = tuple[int, int, str, datetime]


class PresenceRecorder:
    """Stamps each event when it is noted and writes it from one task; a failed write is logged
    and the next one still goes (the database being down must not stop a lecture)."""

    def __init__(self, record: Record, now: Callable[[], datetime] = utcnow) -> None:
        self._record = record
        self._now = now
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def note(self, session_id: int, person_id: int, kind: str) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        self._queue.put_nowait((session_id, person_id, kind, self._now()))

    async def _write(self) -> None:
        while (event := await self._queue.get()) is not None:
            try:
                await self._record(*event)
            except Exception:
                log.exception("presence event %s not recorded", event)

    async def stop(self) -> None:
        """Writes what is queued, then ends the writer."""
        if self._writer is not None:
            self._queue.put_nowait(None)
            await self._writer
            self._writer = None
