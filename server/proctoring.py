"""Proctoring of on-line midterms and exams (regulation §8.8): check-in with photos and media
checks, the proctor's identity decision, the exam's state per student, behaviour flags from the
browser and from the server, incident notes. The live room asks ``publish_refusal`` before an
exam student publishes, so a student whose identity is not approved cannot start.

``ProctoringService`` is the one entry point; the work is done by its parts: the student's
steps (``proctoring_student``), the overseers' decisions and lists (``proctoring_oversight``),
flags coming in (``proctoring_flagging``) and who hears of changes (``proctoring_notify``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import CheckinState, utcnow
from server.proctoring_access import find_checkin, proctoring_root
from server.proctoring_exam_rules import ExamRules
from server.proctoring_faces import ExamChecks, FlagSource, RaisedFlag
from server.proctoring_flagging import FlagIntake
from server.proctoring_notify import ExamNotifier
from server.proctoring_oversight import Oversight
from server.proctoring_review import review
from server.proctoring_rules import (
    FINISHED,
    MAY_PUBLISH,
    FlagIn,
    IncidentIn,
    MediaChecks,
    PhotoKind,
)
from server.proctoring_student import StudentSteps
from server.registry import RoomRegistry
from server.rooms import Participant

S = CheckinState
PHOTO_MAX_BYTES = 5 * 1024 * 1024
FRAME_MAX_BYTES = 512 * 1024


class ProctoringService:
    """Check-ins, decisions, exam states, flags and notes; one per process."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        data_dir: Path,
        rooms: RoomRegistry,
        sources: list[FlagSource],
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.root = proctoring_root(data_dir)
        self._rooms = rooms
        self._sources = sources  # shared with the flag intake: changed in place, never replaced
        self._now = now
        notifier = ExamNotifier(rooms)
        # Told of every exam state change (server-side evidence starts and stops watching).
        self.state_listeners = notifier.state_listeners
        # The server's checks: the flag sources and any added (the live room's speech check);
        # each forgets a finished exam once, first among the listeners.
        self.checks = ExamChecks(sources)
        self.state_listeners.append(self.checks.state_changed)
        self._flags = FlagIntake(sessions, sources, notifier, now)
        self._student = StudentSteps(sessions, self.root, notifier, now)
        self._oversight = Oversight(sessions, notifier, now)
        # The exam's own rules (speech allowed); the live room's evidence listens to changes.
        self.rules = ExamRules(sessions)

    # --- the student ---

    async def mine(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        return await self._student.mine(viewer, session_id)

    async def begin(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        """Opens (or re-opens after a rejection) the student's check-in."""
        return await self._student.begin(viewer, session_id)

    async def save_photo(
        self, viewer: Viewer, session_id: int, kind: PhotoKind, content_type: str, data: bytes
    ) -> dict[str, Any]:
        return await self._student.save_photo(viewer, session_id, kind, content_type, data)

    async def photo(
        self, viewer: Viewer, session_id: int, student_id: int | None, kind: PhotoKind
    ) -> Path:
        """The stored photo (own with ``student_id`` None, else an overseer's view)."""
        return await self._student.photo(viewer, session_id, student_id, kind)

    async def submit(self, viewer: Viewer, session_id: int, checks: MediaChecks) -> dict[str, Any]:
        """Asks for identity approval: both photos and passing media checks are required."""
        return await self._student.submit(viewer, session_id, checks)

    async def start(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        return await self._student.start(viewer, session_id)

    async def hand_in(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        return await self._student.hand_in(viewer, session_id)

    # --- proctors, the tutor, staff ---

    async def act(
        self, viewer: Viewer, session_id: int, student_id: int, action: str, reason: str
    ) -> dict[str, Any]:
        """approve / reject (with a reason) / pause / resume / end one student's exam."""
        return await self._oversight.act(viewer, session_id, student_id, action, reason)

    async def incident(
        self, viewer: Viewer, session_id: int, student_id: int, body: IncidentIn
    ) -> dict[str, Any]:
        return await self._oversight.incident(viewer, session_id, student_id, body)

    async def queue(self, viewer: Viewer) -> list[dict[str, Any]]:
        """Students awaiting an identity decision in the exams this viewer oversees."""
        return await self._oversight.queue(viewer)

    async def roster(self, viewer: Viewer, session_id: int) -> list[dict[str, Any]]:
        """Every student of the exam with their check-in state and a summary of their flags."""
        return await self._oversight.roster(viewer, session_id)

    async def review(
        self,
        viewer: Viewer,
        session_id: int,
        student_id: int,
        recordings_dir: Path | None = None,
    ) -> dict[str, Any]:
        """One student's review; ``recordings_dir`` places flags on the student's own file."""
        async with self._sessions() as db:
            return await review(db, viewer, session_id, student_id, self._now(), recordings_dir)

    # --- flags ---

    async def flag(self, viewer: Viewer, session_id: int, body: FlagIn) -> dict[str, Any]:
        """A flag the student's browser reports about itself."""
        return await self._flags.flag(viewer, session_id, body)

    async def frame(self, viewer: Viewer, session_id: int, data: bytes) -> dict[str, Any]:
        """A camera frame for the server's own checks; returns the flags it raised."""
        return await self._flags.frame(viewer, session_id, data)

    async def record_server_flags(
        self, session_id: int, student_id: int, raised: list[RaisedFlag]
    ) -> list[dict[str, Any]]:
        """Stores flags the server raised from its own evidence and tells the overseers."""
        return await self._flags.record_server_flags(session_id, student_id, raised)

    async def state_of(self, session_id: int, student_id: int) -> CheckinState:
        """The student's exam state (``not_started`` without a check-in)."""
        async with self._sessions() as db:
            checkin = await find_checkin(db, session_id, student_id)
        return S.NOT_STARTED if checkin is None else S(checkin.state)

    # --- the live room ---

    async def publish_refusal(self, session_id: int, participant: Participant) -> str | None:
        """Why an exam student may not publish yet (the live room's publish gate), or None."""
        async with self._sessions() as db:
            checkin = await find_checkin(db, session_id, participant.person_id)
        if checkin is not None and S(checkin.state) in MAY_PUBLISH:
            return None
        if checkin is not None and S(checkin.state) in FINISHED:
            return "your exam is over"
        return "check in first: a proctor must approve your identity before the exam starts"
