"""Attendance reports: one session, a group over a term, a student across courses, and the
students over the unexcused-absence threshold. Each reads its data in a few queries and derives
everything else in Python (``Evaluator``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.attendance_data import (
    Evaluator,
    Row,
    StudentRef,
    events_of,
    latest_corrections,
    students_of,
)
from server.attendance_rules import Policy, Window
from server.db.models import (
    ACADEMIC_HOUR_MINUTES,
    AttendanceStatus,
    Course,
    ScheduledSession,
    SessionMode,
    SessionStatus,
    StudyGroup,
)

Entry = tuple[ScheduledSession, Row]


@dataclass(frozen=True)
class Totals:
    """Sums over the sessions that have a status (begun, on-line, not cancelled)."""

    sessions: int = 0
    minutes_present: float = 0.0
    scheduled_minutes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    unexcused_absences: int = 0
    unexcused_hours: int = 0

    @property
    def hours_present(self) -> float:
        """Academic hours (50 minutes) present."""
        return round(self.minutes_present / ACADEMIC_HOUR_MINUTES, 2)

    @property
    def scheduled_hours(self) -> float:
        return round(self.scheduled_minutes / ACADEMIC_HOUR_MINUTES, 2)


def totals_of(entries: Iterable[Entry]) -> Totals:
    counts: Counter[str] = Counter()
    minutes, scheduled, absences, absent_hours = 0.0, 0, 0, 0
    for session, row in entries:
        if row.status is None:
            continue
        counts[row.status.value] += 1
        minutes += row.outcome.seconds_present / 60
        scheduled += session.minutes
        if row.status == AttendanceStatus.ABSENT:
            absences += 1
            absent_hours += session.academic_hours
    return Totals(
        sum(counts.values()), round(minutes, 1), scheduled, dict(counts), absences, absent_hours
    )


@dataclass(frozen=True)
class SessionReport:
    session: ScheduledSession
    window: Window
    policy: Policy
    rows: list[Row]


@dataclass(frozen=True)
class TermReport:
    """Students × sessions of one group."""

    group: StudyGroup
    sessions: list[ScheduledSession]
    students: list[StudentRef]
    cells: dict[tuple[int, int], Row]
    totals: dict[int, Totals]


@dataclass(frozen=True)
class CourseAttendance:
    course: Course
    entries: list[Entry]
    totals: Totals


@dataclass(frozen=True)
class StudentReport:
    student: StudentRef
    courses: list[CourseAttendance]
    totals: Totals


@dataclass(frozen=True)
class Absentee:
    student: StudentRef
    groups: list[str]
    totals: Totals


@dataclass(frozen=True)
class AbsenceReport:
    threshold_hours: int
    students: list[Absentee]


def counted(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """Filters for sessions that can have attendance, in [start, end)."""
    clauses = [
        ScheduledSession.mode == SessionMode.ONLINE.value,
        ScheduledSession.status != SessionStatus.CANCELLED.value,
    ]
    if start is not None:
        clauses.append(ScheduledSession.starts_at >= start)
    if end is not None:
        clauses.append(ScheduledSession.starts_at < end)
    return clauses


async def sessions_where(db: AsyncSession, *clauses: ColumnElement[bool]) -> list[ScheduledSession]:
    query = select(ScheduledSession).where(*clauses)
    return list(await db.scalars(query.order_by(ScheduledSession.starts_at, ScheduledSession.id)))


async def session_report(
    db: AsyncSession, evaluator: Evaluator, session: ScheduledSession, only: int | None
) -> SessionReport:
    """Every enrolled student's row, or only the student ``only``."""
    students = (await students_of(db, [session.group_id]))[session.group_id]
    if only is not None:
        students = [student for student in students if student.id == only]
    events = await events_of(db, [session.id], only)
    corrections = await latest_corrections(db, [session.id], only)
    rows = evaluator.rows(session, students, events, corrections)
    return SessionReport(session, evaluator.window(session), evaluator.policy, rows)


async def term_report(
    db: AsyncSession,
    evaluator: Evaluator,
    group: StudyGroup,
    sessions: list[ScheduledSession],
) -> TermReport:
    students = (await students_of(db, [group.id]))[group.id]
    cells = await _cells(db, evaluator, sessions, {group.id: students})
    totals = {
        student.id: totals_of((s, cells[(s.id, student.id)]) for s in sessions)
        for student in students
    }
    return TermReport(group, sessions, students, cells, totals)


async def _cells(
    db: AsyncSession,
    evaluator: Evaluator,
    sessions: Sequence[ScheduledSession],
    students: dict[int, list[StudentRef]],
    only: int | None = None,
) -> dict[tuple[int, int], Row]:
    ids = [session.id for session in sessions]
    events = await events_of(db, ids, only)
    corrections = await latest_corrections(db, ids, only)
    cells: dict[tuple[int, int], Row] = {}
    for session in sessions:
        enrolled = students.get(session.group_id, [])
        for row in evaluator.rows(session, enrolled, events, corrections):
            cells[(session.id, row.student.id)] = row
    return cells


async def student_report(
    db: AsyncSession,
    evaluator: Evaluator,
    student: StudentRef,
    sessions: list[ScheduledSession],
) -> StudentReport:
    groups = {session.group_id: [student] for session in sessions}
    cells = await _cells(db, evaluator, sessions, groups, student.id)
    entries = [(s, cells[(s.id, student.id)]) for s in sessions]
    ids = {session.course_id for session in sessions}
    courses = list(await db.scalars(select(Course).where(Course.id.in_(ids)).order_by(Course.code)))
    per_course = [
        CourseAttendance(c, found, totals_of(found))
        for c in courses
        for found in [[e for e in entries if e[0].course_id == c.id]]
    ]
    return StudentReport(student, per_course, totals_of(entries))


async def absence_report(
    db: AsyncSession, evaluator: Evaluator, sessions: list[ScheduledSession], threshold: int
) -> AbsenceReport:
    """Students whose unexcused absences reach ``threshold`` academic hours, most first."""
    final = [s for s in sessions if evaluator.window(s).final]
    students = await students_of(db, {session.group_id for session in final})
    cells = await _cells(db, evaluator, final, students)
    names = await _group_names(db, students)
    found = []
    for student, group_ids in _by_student(students).items():
        entries = [(s, cells[(s.id, student.id)]) for s in final if s.group_id in group_ids]
        totals = totals_of(entries)
        if totals.unexcused_hours >= threshold:
            found.append(Absentee(student, sorted(names[g] for g in group_ids), totals))
    found.sort(key=lambda item: (-item.totals.unexcused_hours, item.student.full_name))
    return AbsenceReport(threshold, found)


def _by_student(students: dict[int, list[StudentRef]]) -> dict[StudentRef, set[int]]:
    groups: dict[StudentRef, set[int]] = {}
    for group_id, members in students.items():
        for student in members:
            groups.setdefault(student, set()).add(group_id)
    return groups


async def _group_names(db: AsyncSession, students: dict[int, list[StudentRef]]) -> dict[int, str]:
    query = select(StudyGroup.id, StudyGroup.name).where(StudyGroup.id.in_(set(students)))
    return {group_id: name for group_id, name in await db.execute(query)}
