"""Hands raised and lowered in live rooms, kept per session for the recording timeline.

The live room holds hands in memory only (``server.rooms``); it tells this recorder of every
change through ``RoomDeps.on_hand``. Events are stamped when they happen and written from one
task, off the room's path: a database that is slow or down never holds up a lecture (a failed
write is logged and the next one still goes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from server.clock import iso_utc
from server.db.models import Person, RoomEvent, RoomEventKind, utcnow
from server.rooms import Participant
from server.tokens import AGENT_PERSON_ID

log = logging.getLogger(__name__)

_Pending = tuple[int, int, RoomEventKind, int | None, datetime]


class RoomEvents:
    """Writes the hand events the live room reports (it reports changes only)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._now = now
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def hand(self, session_id: int, target: Participant, raised: bool, actor: Participant) -> None:
        """Called by the live room after a hand went up or down (``actor`` did it)."""
        if target.person_id == AGENT_PERSON_ID:
            return
        kind = RoomEventKind.HAND_RAISED if raised else RoomEventKind.HAND_LOWERED
        by = actor.person_id if actor.person_id != target.person_id else None
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        self._queue.put_nowait((session_id, target.person_id, kind, by, self._now()))

    async def _write(self) -> None:
        while (event := await self._queue.get()) is not None:
            session_id, person_id, kind, by, at = event
            try:
                async with self._sessions() as db:
                    db.add(
                        RoomEvent(
                            session_id=session_id,
                            person_id=person_id,
                            kind=kind.value,
                            by_person_id=by,
                            at=at,
                        )
                    )
                    await db.commit()
            except Exception:
                log.exception("room event %s not recorded", event)

    async def flush(self) -> None:
        """Waits until every event noted so far is written (tests, shutdown)."""
        if self._writer is not None:
            self._queue.put_nowait(None)
            await self._writer
            self._writer = None


async def hand_events(
    db: AsyncSession, session_id: int, only_person: int | None = None
) -> list[dict[str, Any]]:
    """A session's hand events in order, with names (only one person's when ``only_person``)."""
    by = aliased(Person)
    query = (
        select(RoomEvent, Person.full_name, by.full_name)
        .join(Person, Person.id == RoomEvent.person_id)
        .outerjoin(by, by.id == RoomEvent.by_person_id)
        .where(RoomEvent.session_id == session_id)
        .order_by(RoomEvent.at, RoomEvent.id)
    )
    if only_person is not None:
        query = query.where(RoomEvent.person_id == only_person)
    return [
        {
            "person_id": event.person_id,
            "name": name,
            "raised": event.kind == RoomEventKind.HAND_RAISED,
            "by_person_id": event.by_person_id,
            "by_name": by_name,
            "at": iso_utc(event.at),
        }
        for event, name, by_name in (await db.execute(query)).all()
    ]
