"""After the exam: the overseers' verdict on one student's exam (no concerns / concerns /
violation) and the log of who opened that student's review.

The verdict is part of the student's result for the control: it is shown on the control's grade
sheet, so a signed sheet freezes it like a grade (409, and the attempt is logged in the sheet's
audit trail). Every change is also kept as a ``verdict`` proctoring note with its author and time.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    CheckinState,
    ExamCheckin,
    GradeItem,
    GradeKind,
    NoteKind,
    Person,
    ProctoringNote,
    ProctoringVerdict,
    ReviewView,
    Role,
    ScheduledSession,
    SessionKind,
    Verdict,
    utcnow,
)
from server.errors import Conflict, Forbidden
from server.grades_access import audited, lock_plan, refuse_if_closed
from server.proctoring_access import exam_session, find_checkin, person_of, target_student
from server.proctoring_rules import FINISHED
from server.scope import manages_session

COMMENT_MAX = 2000
# The sessions that hold a control: a midterm item's midterm sessions, the final exam's exams.
HELD_AS = {
    GradeKind.MIDTERM.value: SessionKind.MIDTERM.value,
    GradeKind.FINAL_EXAM.value: SessionKind.EXAM.value,
}


class VerdictIn(BaseModel):
    """``PUT .../students/{id}/verdict``: the verdict and an optional comment."""

    model_config = ConfigDict(extra="forbid")
    verdict: Verdict
    comment: str = Field(default="", max_length=COMMENT_MAX)


async def verdict_view(db: AsyncSession, row: ProctoringVerdict | None) -> dict[str, Any] | None:
    """The verdict's JSON with the name of who decided it (None without a verdict)."""
    if row is None:
        return None
    decider = None if row.decided_by is None else await db.get(Person, row.decided_by)
    return _json(row, None if decider is None else decider.full_name)


def _json(row: ProctoringVerdict, decided_by_name: str | None) -> dict[str, Any]:
    return {
        "verdict": row.verdict,
        "comment": row.comment,
        "decided_by": row.decided_by,
        "decided_by_name": decided_by_name,
        "decided_at": iso_utc(row.decided_at),
    }


async def find_verdict(db: AsyncSession, checkin: ExamCheckin | None) -> ProctoringVerdict | None:
    if checkin is None:
        return None
    found: ProctoringVerdict | None = await db.scalar(
        select(ProctoringVerdict).where(ProctoringVerdict.checkin_id == checkin.id)
    )
    return found


def exam_day(session: ScheduledSession, zone: zoneinfo.ZoneInfo) -> date:
    """The faculty's calendar day of the exam: the date its control's grade item carries."""
    return session.starts_at.astimezone(zone).date()


async def control_verdicts(
    db: AsyncSession, item: GradeItem, zone: zoneinfo.ZoneInfo
) -> dict[int, str] | None:
    """The verdicts shown on a control's grade sheet, by student; None when no session held it.

    A control is held by the sessions of its course and group of the matching kind (midterm ->
    midterm, final exam -> exam) that start on its date in the faculty's zone. When a student
    sat several of them (a resit the same day), the latest session's verdict counts."""
    kind = HELD_AS.get(item.kind)
    if kind is None:
        return None
    start = datetime.combine(item.held_on, time(), zone).astimezone(UTC)
    end = datetime.combine(item.held_on + timedelta(days=1), time(), zone).astimezone(UTC)
    held = (
        (ScheduledSession.course_id == item.course_id)
        & (ScheduledSession.group_id == item.group_id)
        & (ScheduledSession.kind == kind)
        & (ScheduledSession.starts_at >= start)
        & (ScheduledSession.starts_at < end)
    )
    if await db.scalar(select(ScheduledSession.id).where(held).limit(1)) is None:
        return None
    rows = await db.execute(
        select(ExamCheckin.student_id, ProctoringVerdict.verdict)
        .join(ProctoringVerdict, ProctoringVerdict.checkin_id == ExamCheckin.id)
        .join(ScheduledSession, ScheduledSession.id == ExamCheckin.session_id)
        .where(held)
        .order_by(ScheduledSession.starts_at, ScheduledSession.id)
    )
    return {student_id: verdict for student_id, verdict in rows}


def note_text(verdict: str, comment: str) -> str:
    """The verdict note: ``violation: the comment`` (cut to the notes' 2000 characters)."""
    return (f"{verdict}: {comment}" if comment else verdict)[:COMMENT_MAX]


async def log_view(
    db: AsyncSession, viewer: Viewer, session_id: int, student_id: int, at: datetime
) -> None:
    """Records one opening of a review (the caller commits)."""
    db.add(
        ReviewView(
            session_id=session_id, student_id=student_id, viewer_id=viewer.person_id, viewed_at=at
        )
    )


class VerdictService:
    """Verdicts and the review-view log of the exams a viewer oversees."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        timezone: str,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._zone = zoneinfo.ZoneInfo(timezone)
        self._now = now

    async def decide(
        self, viewer: Viewer, session_id: int, student_id: int, body: VerdictIn
    ) -> dict[str, Any]:
        """Sets (or changes) the verdict once the student's exam is over; 409 before that and
        once a signed grade sheet covers the exam's day (the refusal is logged)."""
        async with audited(self._sessions, viewer) as db:
            session = await exam_session(db, viewer, session_id)
            await target_student(db, viewer, session, student_id)
            checkin = await find_checkin(db, session_id, student_id)
            if checkin is None or CheckinState(checkin.state) not in FINISHED:
                state = "not_started" if checkin is None else checkin.state
                raise Conflict(
                    f"a verdict is given once the exam is handed in or ended (it is {state})"
                )
            await lock_plan(db, session.course_id, session.group_id)
            attempt = (
                f"proctoring verdict {body.verdict.value} for student {student_id} "
                f"in session {session_id}"
            )
            day = exam_day(session, self._zone)
            await refuse_if_closed(db, session.course_id, session.group_id, day, attempt)
            row = await find_verdict(db, checkin)
            if row is not None and (row.verdict, row.comment) == (body.verdict, body.comment):
                found = await verdict_view(db, row)
                assert found is not None
                return found
            now: datetime = self._now()
            if row is None:
                row = ProctoringVerdict(checkin_id=checkin.id)
                db.add(row)
            row.verdict, row.comment = body.verdict.value, body.comment
            row.decided_by, row.decided_at = viewer.person_id, now
            db.add(
                ProctoringNote(
                    checkin_id=checkin.id,
                    kind=NoteKind.VERDICT.value,
                    author_id=viewer.person_id,
                    at=now,
                    text=note_text(body.verdict.value, body.comment),
                )
            )
            await db.commit()
            return _json(row, (await person_of(db, viewer.person_id)).full_name)

    async def views(self, viewer: Viewer, session_id: int, student_id: int) -> dict[str, Any]:
        """Who opened this student's review and when, oldest first: staff, admins and the
        exam's tutor (proctors 403; students as for every overseer route)."""
        async with self._sessions() as db:
            session = await exam_session(db, viewer, session_id)
            student = await target_student(db, viewer, session, student_id)
            if not manages_session(viewer, session):
                raise Forbidden("only staff and the exam's tutor see who viewed a review")
            rows = await db.execute(
                select(ReviewView, Person)
                .join(Person, Person.id == ReviewView.viewer_id)
                .where(ReviewView.session_id == session_id, ReviewView.student_id == student_id)
                .order_by(ReviewView.viewed_at, ReviewView.id)
            )
            return {
                "session_id": session_id,
                "student_id": student.id,
                "views": [
                    {
                        "id": view.id,
                        "viewer_id": person.id,
                        "viewer_name": person.full_name,
                        "viewer_role": Role(person.role).value,
                        "viewed_at": iso_utc(view.viewed_at),
                    }
                    for view, person in rows
                ],
            }
