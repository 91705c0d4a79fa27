"""Grade sheets (ведомость) of a course, group and control: the document, signing (which stores
what was signed and freezes the grades it covers), re-opening by staff, and the audit trail.

The sheet of a midterm control lists each student's points on it; the final exam's sheet lists
the admission rating, the exam and the final mark. Letters and grade points come with points.
"""

from __future__ import annotations

import json
import zoneinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    Course,
    GradeItem,
    GradeKind,
    GradeSheet,
    GradeSheetEvent,
    Person,
    Role,
    ScheduledSession,
    SheetAction,
    SheetStatus,
    StudyGroup,
    utcnow,
)
from server.errors import Conflict, ValidationFailed
from server.grades_access import CONTROLS, course_group, lock_plan, visible_item
from server.grades_book import Book, load_book
from server.grades_scale import from_tenths
from server.grades_views import score
from server.proctoring_verdicts import control_verdicts
from server.scope import MANAGERS

FORMS = {GradeKind.MIDTERM.value: "Рубежный контроль", GradeKind.FINAL_EXAM.value: "Экзамен"}


class SheetService:
    """Reads, signs and re-opens the grade sheets of controls the viewer grades."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], timezone: str) -> None:
        self._sessions = sessions
        self._zone = zoneinfo.ZoneInfo(timezone)  # a control's date is a day in this zone

    async def _control(
        self, db: AsyncSession, viewer: Viewer, item_id: int
    ) -> tuple[GradeItem, Course, StudyGroup]:
        item = await visible_item(db, viewer, item_id)
        if item.kind not in CONTROLS:
            raise ValidationFailed(f"grade item {item_id} is not a midterm or final control")
        course, group = await course_group(db, viewer, item.course_id, item.group_id)
        return item, course, group

    async def sheet(self, viewer: Viewer, item_id: int) -> dict[str, Any]:
        """The sheet as signed, or as it stands now while open."""
        async with self._sessions() as db:
            item, course, group = await self._control(db, viewer, item_id)
            record = await _record(db, item.id)
            if record is not None and record.snapshot is not None:
                document = json.loads(record.snapshot)
            else:
                examiner = await examiner_of(db, course.id, group.id)
                verdicts = await control_verdicts(db, item, self._zone)
                book = await load_book(db, course, group)
                document = _document(item, book, examiner, verdicts)
            return {**document, **await _status(db, record)}

    async def sign(self, viewer: Viewer, item_id: int) -> dict[str, Any]:
        """The examiner (a tutor teaching the course to the group) or staff sign; 409 if
        already signed."""
        async with self._sessions() as db:
            item, course, group = await self._control(db, viewer, item_id)
            await lock_plan(db, course.id, group.id)
            record = await _record(db, item.id) or GradeSheet(
                item_id=item.id, course_id=course.id, group_id=group.id
            )
            if record.status == SheetStatus.SIGNED.value:
                raise Conflict(f"the sheet of control {item.id} is already signed")
            examiner = await _examiner_for(db, viewer, course.id, group.id)
            verdicts = await control_verdicts(db, item, self._zone)
            book = await load_book(db, course, group)
            snapshot = json.dumps(_document(item, book, examiner, verdicts), ensure_ascii=False)
            record.status, record.snapshot = SheetStatus.SIGNED.value, snapshot
            record.signed_by, record.signed_at = viewer.person_id, utcnow()
            record.examiner_id = examiner.id if examiner else None
            db.add(record)
            await db.flush()
            db.add(_event(record.id, SheetAction.SIGNED, viewer, "", snapshot))
            await db.commit()
        return await self.sheet(viewer, item_id)

    async def reopen(self, viewer: Viewer, item_id: int, reason: str) -> dict[str, Any]:
        """Staff of the branch (or an admin) open a signed sheet again, with a reason."""
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            item, course, group = await self._control(db, viewer, item_id)
            await lock_plan(db, course.id, group.id)
            record = await _record(db, item.id)
            if record is None or record.status != SheetStatus.SIGNED.value:
                raise Conflict(f"the sheet of control {item.id} is not signed")
            record.status, record.snapshot = SheetStatus.OPEN.value, None
            record.signed_by = record.signed_at = None
            db.add(_event(record.id, SheetAction.REOPENED, viewer, reason, None))
            await db.commit()
        return await self.sheet(viewer, item_id)

    async def events(self, viewer: Viewer, item_id: int) -> list[dict[str, Any]]:
        """The sheet's audit trail, oldest first (what was signed is in the sheet itself)."""
        async with self._sessions() as db:
            item, _, _ = await self._control(db, viewer, item_id)
            rows = await db.execute(
                select(GradeSheetEvent, Person.full_name)
                .join(GradeSheet, GradeSheet.id == GradeSheetEvent.sheet_id)
                .join(Person, Person.id == GradeSheetEvent.person_id)
                .where(GradeSheet.item_id == item.id)
                .order_by(GradeSheetEvent.id)
            )
            return [
                {
                    "id": event.id,
                    "action": event.action,
                    "by": {"id": event.person_id, "full_name": name},
                    "at": iso_utc(event.at),
                    "detail": event.detail,
                }
                for event, name in rows
            ]


async def _record(db: AsyncSession, item_id: int) -> GradeSheet | None:
    found: GradeSheet | None = await db.scalar(
        select(GradeSheet).where(GradeSheet.item_id == item_id)
    )
    return found


async def examiner_of(db: AsyncSession, course_id: int, group_id: int) -> Person | None:
    """The tutor who teaches most of the course's sessions to the group."""
    tutor_id = await db.scalar(
        select(ScheduledSession.tutor_id)
        .where(ScheduledSession.course_id == course_id, ScheduledSession.group_id == group_id)
        .group_by(ScheduledSession.tutor_id)
        .order_by(func.count().desc(), ScheduledSession.tutor_id)
        .limit(1)
    )
    return None if tutor_id is None else await db.get(Person, tutor_id)


async def _examiner_for(
    db: AsyncSession, viewer: Viewer, course_id: int, group_id: int
) -> Person | None:
    if viewer.role == Role.TUTOR:
        return await db.get(Person, viewer.person_id)
    return await examiner_of(db, course_id, group_id)


async def _status(db: AsyncSession, record: GradeSheet | None) -> dict[str, Any]:
    signer = await db.get(Person, record.signed_by) if record and record.signed_by else None
    return {
        "sheet_id": record.id if record else None,
        "status": record.status if record else SheetStatus.OPEN.value,
        "signed_at": iso_utc(record.signed_at) if record else None,
        "signed_by": {"id": signer.id, "full_name": signer.full_name} if signer else None,
    }


def _event(
    sheet_id: int, action: SheetAction, viewer: Viewer, detail: str, snapshot: str | None
) -> GradeSheetEvent:
    return GradeSheetEvent(
        sheet_id=sheet_id,
        action=action.value,
        person_id=viewer.person_id,
        at=utcnow(),
        detail=detail,
        snapshot=snapshot,
    )


def _document(
    item: GradeItem, book: Book, examiner: Person | None, verdicts: dict[int, str] | None
) -> dict[str, Any]:
    """What the sheet says; stored as is when signed. A control held in proctored sessions
    (``verdicts`` not None) has ``proctored`` true and each row's proctoring ``verdict``."""
    exam = item.kind == GradeKind.FINAL_EXAM.value
    rows = [_row(book, item, n, s, exam) for n, s in enumerate(book.students, start=1)]
    if verdicts is not None:
        for row in rows:
            row["proctoring"] = verdicts.get(row["student_id"])
    return {
        "item_id": item.id,
        "kind": item.kind,
        "control": item.title,
        "held_on": item.held_on.isoformat(),
        "discipline": book.course.discipline,
        "course_code": book.course.code,
        "credits": book.course.credits,
        "group": book.group.name,
        "form_of_control": FORMS[item.kind],
        "examiner": examiner.full_name if examiner else None,
        "proctored": verdicts is not None,
        "rows": rows,
    }


def _row(book: Book, item: GradeItem, number: int, student: Person, exam: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "number": number,
        "student_id": student.id,
        "full_name": student.full_name,
    }
    if exam:
        summary = book.summary(student.id)
        row["admission"] = _points(summary.admission)
        row["exam"] = _points(summary.exam)
        tenths = summary.final
    else:
        found = book.grades.get((item.id, student.id))
        tenths = found.tenths if found else None
    return {**row, **(score(tenths) or {"points": None, "letter": None, "grade_points": None})}


def _points(tenths: int | None) -> int | float | None:
    return None if tenths is None else from_tenths(tenths)
