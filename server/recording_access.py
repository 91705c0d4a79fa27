"""Who sees which recordings: the session's tutor, its enrolled students and staff (admins
everywhere, staff in their branch). Anyone else gets 404, as for anything out of scope.

During an exam each student's file shows that student; a student sees only their own.
Proctors see and play the recordings of the exams they oversee (their branch's) and no others.
Downloads are for the tutor and staff; students and proctors play in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.chat import ChatService
from server.clock import iso_utc
from server.db.models import (
    Course,
    Recording,
    RecordingFile,
    RecordingStatus,
    Role,
    ScheduledSession,
)
from server.db.queries import get_visible
from server.errors import Forbidden, NotFound
from server.recording_timeline import timeline
from server.scope import EXAM_KINDS, courses_filter, manages_session, sessions_filter

# Proctors: sessions_filter scopes them to the midterms and exams of their branch, which they
# oversee; they play every student's file there (review) but do not download.
VIEWERS = (Role.ADMIN, Role.STAFF, Role.TUTOR, Role.STUDENT, Role.PROCTOR)


@dataclass(frozen=True)
class Playable:
    """A file the viewer may fetch, with where it is on disk."""

    path: Path
    name: str
    download: bool


class RecordingAccess:
    """Recordings and their files within a viewer's scope."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], root: Path, chat: ChatService
    ) -> None:
        self._sessions = sessions
        self._root = root
        self._chat = chat

    async def for_session(self, viewer: Viewer, session_id: int) -> list[dict[str, Any]]:
        async with self._sessions() as db:
            session = await _session(db, viewer, session_id)
            rows = await _recordings(db, [session.id])
            return [await _view(db, viewer, session, r) for r in rows]

    async def for_course(self, viewer: Viewer, course_id: int) -> list[dict[str, Any]]:
        _check_role(viewer)
        async with self._sessions() as db:
            await get_visible(db, Course, course_id, courses_filter(viewer), "course")
            sessions = list(
                await db.scalars(
                    select(ScheduledSession).where(
                        ScheduledSession.course_id == course_id, sessions_filter(viewer)
                    )
                )
            )
            by_id = {s.id: s for s in sessions}
            rows = await _recordings(db, list(by_id))
            return [await _view(db, viewer, by_id[r.session_id], r) for r in rows]

    async def one(self, viewer: Viewer, recording_id: int) -> dict[str, Any]:
        async with self._sessions() as db:
            recording, session = await _recording(db, viewer, recording_id)
            return await _view(db, viewer, session, recording)

    async def timeline(self, viewer: Viewer, recording_id: int) -> dict[str, Any]:
        """The session's chat and hands this viewer may see, on the recording's clock."""
        async with self._sessions() as db:
            recording, session = await _recording(db, viewer, recording_id)
            return await timeline(db, self._chat, viewer, recording, session)

    async def file(
        self, viewer: Viewer, recording_id: int, file_id: int, download: bool
    ) -> Playable:
        async with self._sessions() as db:
            recording, session = await _recording(db, viewer, recording_id)
            item = await db.get(RecordingFile, file_id)
            visible = await _visible_files(db, viewer, session, recording)
        if item is None or item.id not in {f.id for f in visible}:
            raise NotFound(f"file {file_id} not found")
        if download and not manages_session(viewer, session):
            raise Forbidden("only the tutor and staff download recordings")
        path = self._root / recording.folder / "published" / item.name
        if recording.status != RecordingStatus.READY or not path.is_file():
            raise NotFound(f"file {file_id} is not available")
        return Playable(path, item.name, download)


def _check_role(viewer: Viewer) -> None:
    if viewer.role not in VIEWERS:
        raise NotFound("not found")


async def _session(db: AsyncSession, viewer: Viewer, session_id: int) -> ScheduledSession:
    _check_role(viewer)
    return await get_visible(db, ScheduledSession, session_id, sessions_filter(viewer), "session")


async def _recording(
    db: AsyncSession, viewer: Viewer, recording_id: int
) -> tuple[Recording, ScheduledSession]:
    recording = await db.get(Recording, recording_id)
    if recording is None or recording.status == RecordingStatus.EXPIRED:
        raise NotFound(f"recording {recording_id} not found")
    try:
        session = await _session(db, viewer, recording.session_id)
    except NotFound:
        raise NotFound(f"recording {recording_id} not found") from None
    return recording, session


async def _recordings(db: AsyncSession, session_ids: list[int]) -> list[Recording]:
    if not session_ids:
        return []
    query = (
        select(Recording)
        .where(
            Recording.session_id.in_(session_ids),
            Recording.status != RecordingStatus.EXPIRED.value,
        )
        .order_by(Recording.started_at, Recording.id)
    )
    return list(await db.scalars(query))


async def _visible_files(
    db: AsyncSession, viewer: Viewer, session: ScheduledSession, recording: Recording
) -> list[RecordingFile]:
    files = list(
        await db.scalars(
            select(RecordingFile)
            .where(RecordingFile.recording_id == recording.id)
            .order_by(RecordingFile.id)
        )
    )
    if viewer.role == Role.STUDENT and session.kind in EXAM_KINDS:
        files = [f for f in files if f.person_id == viewer.person_id]
    return files


async def _view(
    db: AsyncSession, viewer: Viewer, session: ScheduledSession, recording: Recording
) -> dict[str, Any]:
    files = await _visible_files(db, viewer, session, recording)
    base = f"/api/recordings/{recording.id}/files"
    manages = manages_session(viewer, session)
    return {
        "id": recording.id,
        "session_id": recording.session_id,
        "course_id": session.course_id,
        "title": session.title,
        "status": recording.status,
        "automatic": recording.automatic,
        "started_at": iso_utc(recording.started_at),
        "stopped_at": iso_utc(recording.stopped_at),
        "stop_reason": recording.stop_reason,
        "phase": recording.phase,
        "progress": recording.progress,
        "failure": recording.failure,
        "duration_seconds": recording.duration_seconds,
        "media_started_at": iso_utc(recording.media_started_at),
        "files": [
            {
                "id": f.id,
                "name": f.name,
                "role": f.role,
                "person_id": f.person_id,
                "duration_seconds": f.duration_seconds,
                "size_bytes": f.size_bytes,
                "play_url": f"{base}/{f.id}",
                "download_url": f"{base}/{f.id}/download" if manages else None,
            }
            for f in files
        ],
    }
