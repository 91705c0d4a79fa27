"""Small database reads and writes of recordings, shared by control and processing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings.layout import RecordingPaths
from server.db.models import Recording, ScheduledSession, SessionKind
from server.errors import NotFound


class RecordingRows:
    """Finds and updates recording rows; knows where each recording lives on disk."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], root: Path) -> None:
        self._sessions = sessions
        self.root = root

    def paths(self, recording: Recording) -> RecordingPaths:
        return RecordingPaths(self.root / recording.folder)

    async def find(self, recording_id: int) -> Recording:
        async with self._sessions() as db:
            recording = await db.get(Recording, recording_id)
        if recording is None:
            raise NotFound(f"recording {recording_id} not found")
        return recording

    async def update(self, recording_id: int, **values: Any) -> None:
        async with self._sessions() as db:
            recording = await db.get(Recording, recording_id)
            if recording is not None:
                for name, value in values.items():
                    setattr(recording, name, value)
                await db.commit()

    async def session_kind(self, session_id: int) -> SessionKind:
        async with self._sessions() as db:
            session = await db.get(ScheduledSession, session_id)
        return SessionKind(session.kind) if session is not None else SessionKind.LECTURE
