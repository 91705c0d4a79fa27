"""Proctoring of on-line midterms and exams (regulation §8.8): check-in with photos and media
checks, the proctor's identity decision, the exam's state per student, behaviour flags from the
browser and from the server, incident notes. The live room asks ``publish_refusal`` before an
exam student publishes, so a student whose identity is not approved cannot start.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    CheckinState,
    ExamCheckin,
    FlagSourceKind,
    GroupMembership,
    NoteKind,
    Person,
    ProctoringFlag,
    ProctoringNote,
    Role,
    ScheduledSession,
    utcnow,
)
from server.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from server.proctoring_access import (
    NO_FLAGS,
    checkin_json,
    exam_session,
    find_checkin,
    flag_json,
    flag_summaries,
    image_type,
    person_of,
    require_overseer,
    require_student,
    target_student,
    write_atomically,
)
from server.proctoring_faces import FlagSource, RaisedFlag
from server.proctoring_review import review
from server.proctoring_rules import (
    FINISHED,
    MAY_PUBLISH,
    FlagIn,
    IncidentIn,
    MediaChecks,
    PhotoKind,
    check_move,
)
from server.ratelimit import TokenBucket
from server.registry import RoomRegistry
from server.rooms import Participant
from server.scope import EXAM_KINDS, sessions_filter

S = CheckinState
PHOTO_MAX_BYTES = 5 * 1024 * 1024
FRAME_MAX_BYTES = 512 * 1024
FLAG_RATE, FLAG_BURST = 1.0, 30.0  # per student: a burst after a reconnect, then 1 a second
FRAME_RATE, FRAME_BURST = 0.5, 3.0  # a frame every few seconds
# Proctor actions: (the move checked, the state after it, the note kept, needs a reason).
ACTIONS: dict[str, tuple[CheckinState, NoteKind, bool]] = {
    "approve": (S.APPROVED, NoteKind.APPROVED, False),
    "reject": (S.REJECTED, NoteKind.REJECTED, True),
    "pause": (S.PAUSED, NoteKind.PAUSED, False),
    "resume": (S.IN_EXAM, NoteKind.RESUMED, False),
    "end": (S.ENDED_BY_PROCTOR, NoteKind.ENDED, False),
}


def _checkin_id(checkin: ExamCheckin | None) -> int:
    return -1 if checkin is None else checkin.id


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
        self.root = data_dir / "proctoring"
        self._rooms = rooms
        self._sources = sources
        self._now = now
        self._flag_buckets: dict[int, TokenBucket] = {}
        self._frame_buckets: dict[int, TokenBucket] = {}
        # Told of every exam state change (server-side evidence starts and stops watching).
        self.state_listeners: list[Callable[[int, int, CheckinState], None]] = []

    # --- the student ---

    async def mine(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        require_student(viewer)
        async with self._sessions() as db:
            await exam_session(db, viewer, session_id)
            checkin = await find_checkin(db, session_id, viewer.person_id)
            return checkin_json(checkin, session_id, await person_of(db, viewer.person_id), True)

    async def begin(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        """Opens (or re-opens after a rejection) the student's check-in."""
        async with self._sessions() as db:
            checkin = await self._own(db, viewer, session_id, "begin")
            checkin.state = S.CHECKING_IN.value
            checkin.updated_at = self._now()
            await db.commit()
        return await self.mine(viewer, session_id)

    async def save_photo(
        self, viewer: Viewer, session_id: int, kind: PhotoKind, content_type: str, data: bytes
    ) -> dict[str, Any]:
        async with self._sessions() as db:
            checkin = await self._own(db, viewer, session_id, "photo")
            extension = await asyncio.to_thread(image_type, content_type, data)
            name = f"{kind.value}-{uuid.uuid4().hex}.{extension}"
            folder = self.root / f"session-{session_id}" / f"student-{viewer.person_id}"
            await asyncio.to_thread(write_atomically, folder, name, data)
            old = checkin.face_photo if kind == PhotoKind.FACE else checkin.document_photo
            setattr(checkin, f"{kind.value}_photo", name)
            checkin.state = S.CHECKING_IN.value
            checkin.updated_at = self._now()
            await db.commit()
        if old is not None:
            (folder / old).unlink(missing_ok=True)
        return await self.mine(viewer, session_id)

    async def photo(
        self, viewer: Viewer, session_id: int, student_id: int | None, kind: PhotoKind
    ) -> Path:
        """The stored photo (own with ``student_id`` None, else an overseer's view)."""
        async with self._sessions() as db:
            session = await exam_session(db, viewer, session_id)
            if student_id is None:
                require_student(viewer)
                student_id = viewer.person_id
            else:
                await target_student(db, viewer, session, student_id)
            checkin = await find_checkin(db, session_id, student_id)
        stored = None if checkin is None else getattr(checkin, f"{kind.value}_photo")
        if checkin is None or stored is None:
            raise NotFound(f"no {kind.value} photo")
        path = self.root / f"session-{session_id}" / f"student-{student_id}" / str(stored)
        if not path.is_file():
            raise NotFound(f"no {kind.value} photo")
        return path

    async def submit(self, viewer: Viewer, session_id: int, checks: MediaChecks) -> dict[str, Any]:
        """Asks for identity approval: both photos and passing media checks are required."""
        checks.require_passed()
        async with self._sessions() as db:
            checkin = await self._own(db, viewer, session_id, "submit")
            if checkin.face_photo is None or checkin.document_photo is None:
                raise Conflict("take the face photo and the identity document photo first")
            now = self._now()
            checkin.media_checks = json.dumps(checks.model_dump())
            checkin.state, checkin.submitted_at, checkin.updated_at = S.AWAITING_IDENTITY, now, now
            checkin.rejection_reason = None
            await db.commit()
        self._tell_overseers(session_id, viewer.person_id, S.AWAITING_IDENTITY)
        return await self.mine(viewer, session_id)

    async def start(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        return await self._student_move(viewer, session_id, "start", S.IN_EXAM)

    async def hand_in(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        return await self._student_move(viewer, session_id, "hand_in", S.HANDED_IN)

    async def _student_move(
        self, viewer: Viewer, session_id: int, move: str, to: CheckinState
    ) -> dict[str, Any]:
        async with self._sessions() as db:
            checkin = await self._own(db, viewer, session_id, move)
            now = self._now()
            checkin.state, checkin.updated_at = to.value, now
            if to == S.IN_EXAM:
                checkin.started_at = now
            else:
                checkin.finished_at = now
            await db.commit()
        if to in FINISHED:
            self._forget(session_id, viewer.person_id)
        self._tell_overseers(session_id, viewer.person_id, to)
        return await self.mine(viewer, session_id)

    async def _own(
        self, db: AsyncSession, viewer: Viewer, session_id: int, move: str
    ) -> ExamCheckin:
        """The student's own check-in, created on the first step, after checking the move."""
        require_student(viewer)
        await exam_session(db, viewer, session_id)
        checkin = await find_checkin(db, session_id, viewer.person_id)
        if checkin is None:
            check_move(S.NOT_STARTED, move)
            checkin = ExamCheckin(session_id=session_id, student_id=viewer.person_id)
            checkin.state = S.CHECKING_IN.value
            db.add(checkin)
            await db.flush()
            return checkin
        check_move(S(checkin.state), move)
        return checkin

    # --- proctors, the tutor, staff ---

    async def act(
        self, viewer: Viewer, session_id: int, student_id: int, action: str, reason: str
    ) -> dict[str, Any]:
        """approve / reject (with a reason) / pause / resume / end one student's exam."""
        to, note, needs_reason = ACTIONS[action]
        async with self._sessions() as db:
            session = await exam_session(db, viewer, session_id)
            student = await target_student(db, viewer, session, student_id)
            checkin = await find_checkin(db, session_id, student_id)
            check_move(S.NOT_STARTED if checkin is None else S(checkin.state), action)
            assert checkin is not None
            if needs_reason and not reason.strip():
                raise ValidationFailed("give the reason")
            now = self._now()
            checkin.state, checkin.updated_at = to.value, now
            if action in ("approve", "reject"):
                checkin.decided_by, checkin.decided_at = viewer.person_id, now
                checkin.rejection_reason = reason if action == "reject" else None
            if action == "end":
                checkin.finished_at, checkin.end_reason = now, reason or None
            db.add(
                ProctoringNote(
                    checkin_id=checkin.id,
                    kind=note,
                    author_id=viewer.person_id,
                    at=now,
                    text=reason,
                )
            )
            await db.commit()
            view = checkin_json(checkin, session_id, student, False)
        if to in FINISHED:
            self._forget(session_id, student_id)
        self._tell_student(session_id, student_id, to, reason)
        self._tell_overseers(session_id, student_id, to)
        return view

    async def incident(
        self, viewer: Viewer, session_id: int, student_id: int, body: IncidentIn
    ) -> dict[str, Any]:
        async with self._sessions() as db:
            session = await exam_session(db, viewer, session_id)
            await target_student(db, viewer, session, student_id)
            checkin = await find_checkin(db, session_id, student_id)
            if checkin is None:
                raise Conflict("the student has not started checking in")
            now = self._now()
            at = body.at or now
            if at > now or at < checkin.created_at:
                raise ValidationFailed("the incident's time must be between check-in and now")
            note = ProctoringNote(
                checkin_id=checkin.id,
                kind=NoteKind.INCIDENT.value,
                author_id=viewer.person_id,
                at=at,
                text=body.text,
            )
            db.add(note)
            await db.commit()
            return {
                "id": note.id,
                "kind": note.kind,
                "at": iso_utc(at),
                "text": note.text,
                "author_id": note.author_id,
            }

    async def queue(self, viewer: Viewer) -> list[dict[str, Any]]:
        """Students awaiting an identity decision in the exams this viewer oversees."""
        if viewer.role == Role.STUDENT:
            raise Forbidden("only proctors, tutors and staff see the identity queue")
        async with self._sessions() as db:
            rows = await db.execute(
                select(ExamCheckin, ScheduledSession, Person)
                .join(ScheduledSession, ScheduledSession.id == ExamCheckin.session_id)
                .join(Person, Person.id == ExamCheckin.student_id)
                .where(
                    ExamCheckin.state == S.AWAITING_IDENTITY.value,
                    ScheduledSession.kind.in_(EXAM_KINDS),
                    sessions_filter(viewer),
                )
                .order_by(ExamCheckin.submitted_at, ExamCheckin.id)
            )
            items = []
            for checkin, session, student in rows:
                require_overseer(viewer, session)
                items.append(
                    checkin_json(checkin, session.id, student, False) | {"title": session.title}
                )
            return items

    async def roster(self, viewer: Viewer, session_id: int) -> list[dict[str, Any]]:
        """Every student of the exam with their check-in state (``not_started`` if none) and a
        summary of their flags so far (not a review: no view is logged)."""
        async with self._sessions() as db:
            session = await exam_session(db, viewer, session_id)
            require_overseer(viewer, session)
            students = await db.scalars(
                select(Person)
                .join(GroupMembership, GroupMembership.student_id == Person.id)
                .where(GroupMembership.group_id == session.group_id)
                .order_by(Person.full_name, Person.id)
            )
            checkins = {
                c.student_id: c
                for c in await db.scalars(
                    select(ExamCheckin).where(ExamCheckin.session_id == session_id)
                )
            }
            flags = await flag_summaries(db, [c.id for c in checkins.values()])
            return [
                checkin_json(checkins.get(s.id), session_id, s, False)
                | flags.get(_checkin_id(checkins.get(s.id)), NO_FLAGS)
                for s in students
            ]

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
        async with self._sessions() as db:
            checkin = await self._own(db, viewer, session_id, "flag")
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
        self._tell_overseers(session_id, viewer.person_id, None, view)
        return view

    async def frame(self, viewer: Viewer, session_id: int, data: bytes) -> dict[str, Any]:
        """A camera frame for the server's own checks; returns the flags it raised."""
        async with self._sessions() as db:
            checkin = await self._own(db, viewer, session_id, "flag")
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
            self._tell_overseers(session_id, student_id, None, view)
        return views

    async def state_of(self, session_id: int, student_id: int) -> CheckinState:
        """The student's exam state (``not_started`` without a check-in)."""
        async with self._sessions() as db:
            checkin = await find_checkin(db, session_id, student_id)
        return S.NOT_STARTED if checkin is None else S(checkin.state)

    def _take(
        self, buckets: dict[int, TokenBucket], key: int, rate: float, burst: float, what: str
    ) -> None:
        bucket = buckets.setdefault(key, TokenBucket(rate, burst))
        if not bucket.take():
            raise RateLimited(f"too many {what}; slow down", retry_after=max(1, int(1 / rate)))

    def _forget(self, session_id: int, student_id: int) -> None:
        for source in self._sources:
            source.forget((session_id, student_id))

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

    def _tell_student(self, session_id: int, student_id: int, state: S, reason: str) -> None:
        room = self._rooms.get(session_id)
        if room is not None:
            room.tell(student_id, {"type": "exam_state", "state": state.value, "reason": reason})

    def _tell_overseers(
        self, session_id: int, student_id: int, state: S | None, flag: dict[str, Any] | None = None
    ) -> None:
        if state is not None:
            for listener in self.state_listeners:
                listener(session_id, student_id, state)
        room = self._rooms.get(session_id)
        if room is None:
            return
        if flag is not None:
            room.tell_moderators(
                {"type": "proctoring_flag", "student_id": student_id, "flag": flag}
            )
        if state is not None:
            message = {"type": "exam_state", "student_id": student_id, "state": state.value}
            room.tell_moderators(message)
