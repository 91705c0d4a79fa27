"""What proctors, the tutor and staff do in a proctored exam: decide identity, pause, resume
or end one student's exam, note incidents, and see the identity queue and the exam's roster."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    CheckinState,
    ExamCheckin,
    GroupMembership,
    NoteKind,
    Person,
    ProctoringNote,
    Role,
    ScheduledSession,
)
from server.errors import Conflict, Forbidden, ValidationFailed
from server.proctoring_access import (
    NO_FLAGS,
    checkin_json,
    exam_session,
    find_checkin,
    flag_summaries,
    require_overseer,
    target_student,
)
from server.proctoring_notify import ExamNotifier
from server.proctoring_rules import IncidentIn, check_move
from server.scope import EXAM_KINDS, sessions_filter

S = CheckinState
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


class Oversight:
    """The overseers' decisions, incident notes and lists."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifier: ExamNotifier,
        now: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._now = now

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
        self._notifier.tell_student(session_id, student_id, to, reason)
        self._notifier.tell_overseers(session_id, student_id, to)
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
