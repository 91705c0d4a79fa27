"""Reading what attendance is computed from: policy, enrolled students, events, corrections.

Reports read every event of the sessions concerned in one ordered query (Core rows, no ORM
objects) and derive intervals in Python; that keeps a term report to a handful of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.attendance_rules import Outcome, Policy, Window, assess, window_for
from server.db.models import (
    AttendanceCorrection,
    AttendancePolicyRecord,
    AttendanceStatus,
    GroupMembership,
    Person,
    PresenceEvent,
    ScheduledSession,
    SessionMode,
    SessionStatus,
)
from server.presence import HEARTBEAT, LEAVE, Event, derive

CHUNK = 500
MISSED_HEARTBEATS = 3
"""A person counts as connected now only if their last event is not a leave and came at most
this many heartbeat intervals ago: after a crash nobody stays "connected" for long."""

Pair = tuple[int, int]
"""(session id, person id)"""


@dataclass(frozen=True)
class StudentRef:
    id: int
    login: str
    full_name: str


@dataclass(frozen=True)
class CorrectionRef:
    status: AttendanceStatus | None
    reason: str
    corrected_by: int
    corrected_at: datetime


@dataclass(frozen=True)
class Row:
    """One student in one session: the derived outcome and the latest manual correction."""

    student: StudentRef
    outcome: Outcome
    correction: CorrectionRef | None

    @property
    def status(self) -> AttendanceStatus | None:
        if self.correction is not None and self.correction.status is not None:
            return self.correction.status
        return self.outcome.status


@dataclass(frozen=True)
class Evaluator:
    """Turns one person's events in one session into an outcome, as of ``now``."""

    policy: Policy
    grace: timedelta
    now: datetime
    silence: timedelta = timedelta(seconds=30 * MISSED_HEARTBEATS)

    def outcome(self, session: ScheduledSession, events: Sequence[Event]) -> Outcome:
        live = session.status == SessionStatus.LIVE
        open_until = self.now if live and connected(events, self.now, self.silence) else None
        intervals = derive(events, self.grace, open_until)
        return assess(intervals, self.window(session), self.policy)

    def window(self, session: ScheduledSession) -> Window:
        if session.status == SessionStatus.CANCELLED or session.mode != SessionMode.ONLINE:
            return Window(session.starts_at, session.starts_at)
        live = session.status == SessionStatus.LIVE
        return window_for(session.starts_at, session.minutes, session.ended_at, self.now, live)

    def rows(
        self,
        session: ScheduledSession,
        students: Iterable[StudentRef],
        events: dict[Pair, list[Event]],
        corrections: dict[Pair, CorrectionRef],
    ) -> list[Row]:
        return [
            Row(
                student,
                self.outcome(session, events.get((session.id, student.id), [])),
                corrections.get((session.id, student.id)),
            )
            for student in students
        ]


def connected(events: Sequence[Event], now: datetime, silence: timedelta) -> bool:
    if not events:
        return False
    at, kind = sorted(events, key=lambda event: event[0])[-1]
    return kind != LEAVE and now - at <= silence


async def load_policy(db: AsyncSession, defaults: Policy) -> Policy:
    found = await db.get(AttendancePolicyRecord, 1)
    if found is None:
        return defaults
    return Policy(
        late_after_minutes=found.late_after_minutes,
        left_early_minutes=found.left_early_minutes,
        present_percent=found.present_percent,
        partial_percent=found.partial_percent,
        absence_threshold_hours=found.absence_threshold_hours,
    )


async def students_of(db: AsyncSession, group_ids: Iterable[int]) -> dict[int, list[StudentRef]]:
    """Students enrolled now in each group, by name."""
    query = (
        select(GroupMembership.group_id, Person.id, Person.login, Person.full_name)
        .join(Person, Person.id == GroupMembership.student_id)
        .where(GroupMembership.group_id.in_(set(group_ids)))
        .order_by(Person.full_name, Person.id)
    )
    found: dict[int, list[StudentRef]] = defaultdict(list)
    for group_id, person_id, login, full_name in await db.execute(query):
        found[group_id].append(StudentRef(person_id, login, full_name))
    return found


async def events_of(
    db: AsyncSession, session_ids: Sequence[int], person_id: int | None = None
) -> dict[Pair, list[Event]]:
    """The events of these sessions (of one person, if given), grouped and in order, without the
    heartbeats that cannot change the intervals (see ``server.presence.thin``)."""
    found: dict[Pair, list[Event]] = defaultdict(list)
    for chunk in _chunks(session_ids):
        rows = await db.execute(_thinned_events(chunk, person_id))
        for session_id, who, at, kind in rows:
            found[(session_id, who)].append((at, kind))
    return found


def _thinned_events(session_ids: Sequence[int], person_id: int | None) -> Select[Any]:
    event = PresenceEvent
    where: list[ColumnElement[bool]] = [event.session_id.in_(session_ids)]
    if person_id is not None:
        where.append(event.person_id == person_id)
    partition, order = (event.session_id, event.person_id), (event.at, event.id)
    inner = (
        select(event.session_id, event.person_id, event.at, event.kind, event.id)
        .add_columns(
            func.lag(event.kind).over(partition_by=partition, order_by=order).label("previous"),
            func.lead(event.kind).over(partition_by=partition, order_by=order).label("following"),
        )
        .where(*where)
        .subquery()
    )
    keep = or_(
        inner.c.kind != HEARTBEAT,
        func.coalesce(inner.c.previous, "") != HEARTBEAT,
        func.coalesce(inner.c.following, "") != HEARTBEAT,
    )
    columns = (inner.c.session_id, inner.c.person_id, inner.c.at, inner.c.kind)
    return select(*columns).where(keep).order_by(*columns[:3], inner.c.id)


async def latest_corrections(
    db: AsyncSession, session_ids: Sequence[int], student_id: int | None = None
) -> dict[Pair, CorrectionRef]:
    """The latest correction of each (session, student): the one that wins."""
    found: dict[Pair, CorrectionRef] = {}
    for chunk in _chunks(session_ids):
        query = (
            select(AttendanceCorrection)
            .where(AttendanceCorrection.session_id.in_(chunk))
            .order_by(AttendanceCorrection.corrected_at, AttendanceCorrection.id)
        )
        if student_id is not None:
            query = query.where(AttendanceCorrection.student_id == student_id)
        for item in await db.scalars(query):
            found[(item.session_id, item.student_id)] = correction_ref(item)
    return found


def correction_ref(item: AttendanceCorrection) -> CorrectionRef:
    status = AttendanceStatus(item.status) if item.status is not None else None
    return CorrectionRef(status, item.reason, item.corrected_by, item.corrected_at)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for index in range(0, len(ids), CHUNK):
        yield ids[index : index + CHUNK]
