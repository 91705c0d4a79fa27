"""Attendance: presence events from the live room, the faculty's policy, manual corrections and
the reports built from them. Intervals are derived (``server.presence``), never stored.

Who may do what: admins everything; staff the sessions, groups and students of their branch;
a tutor their own sessions (and corrections there); a student reads only their own attendance.
Objects outside the viewer's scope are 404; a student trying to change anything is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import attendance_reports as reports
from server.attendance_data import (
    MISSED_HEARTBEATS,
    Evaluator,
    Row,
    StudentRef,
    load_policy,
    students_of,
)
from server.attendance_rules import Policy
from server.attendance_schemas import CorrectionIn, PolicyIn
from server.auth import Viewer
from server.db.models import (
    AttendanceCorrection,
    AttendancePolicyRecord,
    GroupMembership,
    Person,
    PresenceEvent,
    Role,
    ScheduledSession,
    StudyGroup,
    utcnow,
)
from server.db.queries import get_visible
from server.errors import Forbidden, NotFound
from server.presence import KINDS
from server.scope import MANAGERS, can_manage_branch, groups_filter, people_filter, sessions_filter

READERS = (Role.ADMIN, Role.STAFF, Role.TUTOR)


@dataclass(frozen=True)
class CorrectionEntry:
    """One manual correction as stored, with the corrector's name."""

    item: AttendanceCorrection
    corrected_by_name: str


class AttendanceService:
    """Records presence and answers every attendance question within a viewer's scope."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        grace_seconds: int = 60,
        policy_defaults: Policy | None = None,
        now: Callable[[], datetime] = utcnow,
        heartbeat_seconds: int = 30,
    ) -> None:
        self._silence = timedelta(seconds=heartbeat_seconds * MISSED_HEARTBEATS)
        self._sessions = sessions
        self._grace = timedelta(seconds=grace_seconds)
        self._defaults = policy_defaults or Policy()
        self._now = now

    def now(self) -> datetime:
        return self._now()

    async def record(self, session_id: int, person_id: int, kind: str, at: datetime) -> None:
        """Persists one join, leave or heartbeat (called by the live room)."""
        if kind not in KINDS:
            raise ValueError(f"unknown presence event kind {kind!r}")
        if at.tzinfo is None:
            raise ValueError("presence event time must be timezone-aware")
        values = {"session_id": session_id, "person_id": person_id, "kind": kind, "at": at}
        async with self._sessions() as db:
            await db.execute(insert(PresenceEvent).values(**values))
            await db.commit()

    # --- the policy ---

    async def policy(self, viewer: Viewer) -> Policy:
        viewer.require(*READERS)
        async with self._sessions() as db:
            return await load_policy(db, self._defaults)

    async def set_policy(self, viewer: Viewer, data: PolicyIn) -> Policy:
        viewer.require(Role.ADMIN)
        async with self._sessions() as db:
            record = await db.get(AttendancePolicyRecord, 1) or AttendancePolicyRecord(id=1)
            for name, value in data.model_dump().items():
                setattr(record, name, value)
            record.updated_by = viewer.person_id
            record.updated_at = self._now()
            db.add(record)
            await db.commit()
            return await load_policy(db, self._defaults)

    # --- corrections ---

    async def correct(
        self, viewer: Viewer, session_id: int, student_id: int, data: CorrectionIn
    ) -> Row:
        """Appends a manual correction (staff of the branch or the session's tutor)."""
        if viewer.role == Role.STUDENT:
            raise Forbidden("students cannot change attendance")
        async with self._sessions() as db:
            session = await _session(db, viewer, session_id)
            _require_editor(viewer, session)
            await _enrolled(db, session, student_id)
            db.add(
                AttendanceCorrection(
                    session_id=session.id,
                    student_id=student_id,
                    status=data.status.value if data.status is not None else None,
                    reason=data.reason,
                    corrected_by=viewer.person_id,
                    corrected_at=self._now(),
                )
            )
            await db.commit()
            evaluator = await self._evaluator(db)
            report = await reports.session_report(db, evaluator, session, student_id)
            return report.rows[0]

    async def corrections(
        self, viewer: Viewer, session_id: int, student_id: int
    ) -> list[CorrectionEntry]:
        """Every correction of one student in one session, oldest first."""
        async with self._sessions() as db:
            session = await _session(db, viewer, session_id)
            _require_reader(viewer, session, student_id)
            await _enrolled(db, session, student_id)
            query = (
                select(AttendanceCorrection, Person.full_name)
                .join(Person, Person.id == AttendanceCorrection.corrected_by)
                .where(
                    AttendanceCorrection.session_id == session_id,
                    AttendanceCorrection.student_id == student_id,
                )
                .order_by(AttendanceCorrection.corrected_at, AttendanceCorrection.id)
            )
            return [CorrectionEntry(item, name) for item, name in await db.execute(query)]

    # --- reports ---

    async def session_report(self, viewer: Viewer, session_id: int) -> reports.SessionReport:
        """All enrolled students (staff, tutor) or the student's own row."""
        async with self._sessions() as db:
            session = await _session(db, viewer, session_id)
            only = viewer.person_id if viewer.role == Role.STUDENT else None
            _require_reader(viewer, session, only)
            return await reports.session_report(db, await self._evaluator(db), session, only)

    async def live_roster(self, viewer: Viewer, session_id: int) -> reports.SessionReport:
        """Who is connected now, since when, minutes so far: the tutor's view during class."""
        async with self._sessions() as db:
            session = await _session(db, viewer, session_id)
            _require_editor(viewer, session)
            return await reports.session_report(db, await self._evaluator(db), session, None)

    async def term_report(
        self, viewer: Viewer, group_id: int, start: datetime | None, end: datetime | None
    ) -> reports.TermReport:
        """Students × sessions of one group (the viewer's sessions of it, for a tutor)."""
        viewer.require(*READERS)
        async with self._sessions() as db:
            group = await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
            clauses = reports.counted(start, end)
            mine = (ScheduledSession.group_id == group.id, sessions_filter(viewer))
            sessions = await reports.sessions_where(db, *clauses, *mine)
            return await reports.term_report(db, await self._evaluator(db), group, sessions)

    async def student_report(
        self, viewer: Viewer, student_id: int, start: datetime | None, end: datetime | None
    ) -> reports.StudentReport:
        """One student's attendance in every course, within the viewer's sessions."""
        async with self._sessions() as db:
            person = await get_visible(db, Person, student_id, people_filter(viewer), "student")
            if person.role != Role.STUDENT:
                raise NotFound(f"student {student_id} not found")
            student = StudentRef(person.id, person.login, person.full_name)
            groups = await _group_ids(db, person.id)
            clauses = (*reports.counted(start, end), ScheduledSession.group_id.in_(groups))
            sessions = await reports.sessions_where(db, *clauses, sessions_filter(viewer))
            return await reports.student_report(db, await self._evaluator(db), student, sessions)

    async def absences(
        self, viewer: Viewer, threshold: int | None, start: datetime | None, end: datetime | None
    ) -> reports.AbsenceReport:
        """For the dean's office: students over the unexcused-absence threshold (their branch)."""
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            evaluator = await self._evaluator(db)
            limit = threshold if threshold is not None else evaluator.policy.absence_threshold_hours
            clauses = (*reports.counted(start, end), sessions_filter(viewer))
            sessions = await reports.sessions_where(db, *clauses)
            return await reports.absence_report(db, evaluator, sessions, limit)

    async def _evaluator(self, db: AsyncSession) -> Evaluator:
        policy = await load_policy(db, self._defaults)
        return Evaluator(policy, self._grace, self._now(), self._silence)


async def _session(db: AsyncSession, viewer: Viewer, session_id: int) -> ScheduledSession:
    return await get_visible(db, ScheduledSession, session_id, sessions_filter(viewer), "session")


def _require_editor(viewer: Viewer, session: ScheduledSession) -> None:
    if not (can_manage_branch(viewer, session.branch_id) or session.tutor_id == viewer.person_id):
        raise Forbidden("only the branch's staff or the session's tutor may do this")


def _require_reader(viewer: Viewer, session: ScheduledSession, student_id: int | None) -> None:
    if viewer.role == Role.STUDENT and student_id == viewer.person_id:
        return
    _require_editor(viewer, session)


async def _enrolled(db: AsyncSession, session: ScheduledSession, student_id: int) -> None:
    members = (await students_of(db, [session.group_id]))[session.group_id]
    if student_id not in {member.id for member in members}:
        raise NotFound(f"student {student_id} is not in this session's group")


async def _group_ids(db: AsyncSession, student_id: int) -> list[int]:
    query = select(GroupMembership.group_id).where(GroupMembership.student_id == student_id)
    return list(await db.scalars(query))
