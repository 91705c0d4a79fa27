"""Behaviour flags coming in: what the student's browser reports about itself, camera frames
for the server's own checks, and the flags the server raises; rate-limited per check-in."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import FlagSourceKind, ProctoringFlag
from server.errors import RateLimited
from server.proctoring_access import find_checkin, flag_json
from server.proctoring_faces import FlagSource, RaisedFlag
from server.proctoring_notify import ExamNotifier
from server.proctoring_rules import FlagIn
from server.proctoring_student import own_checkin
from server.ratelimit import TokenBucket

FLAG_RATE, FLAG_BURST = 1.0, 30.0  # per student: a burst after a reconnect, then 1 a second
FRAME_RATE, FRAME_BURST = 0.5, 3.0  # a frame every few seconds


class FlagIntake:
    """Stores flags and tells the overseers; ``sources`` are the server's own checks (the list
    is shared with the caller, which may change its contents)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sources: list[FlagSource],
        notifier: ExamNotifier,
        now: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._sources = sources
        self._notifier = notifier
        self._now = now
        self._flag_buckets: dict[int, TokenBucket] = {}
        self._frame_buckets: dict[int, TokenBucket] = {}

    async def flag(self, viewer: Viewer, session_id: int, body: FlagIn) -> dict[str, Any]:
        """A flag the student's browser reports about itself."""
        async with self._sessions() as db:
            checkin = await own_checkin(db, viewer, session_id, "flag")
            kind, at = body.checked(self._now(), checkin.created_at)
            self._take(self._flag_buckets, checkin.id, FLAG_RATE, FLAG_BURST, "flags")
            row = ProctoringFlag(
                checkin_id=checkin.id,
                source=FlagSourceKind.BROWSER.value,
                kind=kind.value,
                at=at,
                received_at=self._now(),
                detail=body.detail,
            )
            db.add(row)
            await db.commit()
            view = flag_json(row)
        self._notifier.tell_overseers(session_id, viewer.person_id, None, view)
        return view

    async def frame(self, viewer: Viewer, session_id: int, data: bytes) -> dict[str, Any]:
        """A camera frame for the server's own checks; returns the flags it raised."""
        async with self._sessions() as db:
            checkin = await own_checkin(db, viewer, session_id, "flag")
            await db.commit()
            checkin_id = checkin.id
        self._take(self._frame_buckets, checkin_id, FRAME_RATE, FRAME_BURST, "frames")
        seen_at = self._now()
        raised: list[RaisedFlag] = []
        for source in self._sources:
            raised += await source.observe((session_id, viewer.person_id), data, seen_at)
        return {"flags": await self.record_server_flags(session_id, viewer.person_id, raised)}

    async def record_server_flags(
        self, session_id: int, student_id: int, raised: list[RaisedFlag]
    ) -> list[dict[str, Any]]:
        """Stores flags the server raised from its own evidence and tells the overseers."""
        if not raised:
            return []
        views = []
        async with self._sessions() as db:
            checkin = await find_checkin(db, session_id, student_id)
            if checkin is None:
                return []
            received_at = self._now()
            for flag in raised:
                row = ProctoringFlag(
                    checkin_id=checkin.id,
                    source=FlagSourceKind.SERVER.value,
                    kind=flag.kind.value,
                    at=flag.at,
                    received_at=received_at,
                    detail=flag.detail,
                    evidence=json.dumps(flag.evidence),
                )
                db.add(row)
                await db.flush()
                views.append(flag_json(row))
            await db.commit()
        for view in views:
            self._notifier.tell_overseers(session_id, student_id, None, view)
        return views

    def _take(
        self, buckets: dict[int, TokenBucket], key: int, rate: float, burst: float, what: str
    ) -> None:
        bucket = buckets.setdefault(key, TokenBucket(rate, burst))
        if not bucket.take():
            raise RateLimited(f"too many {what}; slow down", retry_after=max(1, int(1 / rate)))
