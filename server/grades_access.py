"""Who may grade what, and the rule that a signed grade sheet freezes its grades.

Tutors grade the courses they teach to the groups they teach them to; staff the courses of
their branch; admins everything. Anything outside that is "not found"; students and proctors
calling a tutor action get 403. A signed sheet freezes every grade of its course and group dated
on or before its control (the final exam's sheet: all of them); every path that writes a grade
goes through ``refuse_if_closed``, and a refusal is logged in the sheet's audit trail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import (
    ControlPlan,
    Course,
    CourseGroup,
    GradeItem,
    GradeKind,
    GradeSheet,
    GradeSheetEvent,
    GroupMembership,
    Role,
    ScheduledSession,
    SheetAction,
    SheetStatus,
    StudyGroup,
    utcnow,
)
from server.db.queries import get_visible
from server.db.upsert import insert_ignore
from server.errors import Conflict, NotFound, ValidationFailed
from server.scope import courses_filter, groups_filter

GRADERS = (Role.TUTOR, Role.STAFF, Role.ADMIN)
CONTROLS = (GradeKind.MIDTERM.value, GradeKind.FINAL_EXAM.value)
DEFAULT_ADMISSION_PERCENT = 60
DEFAULT_ADMISSION_MIN = 50


class SheetClosed(Conflict):
    """A change that a signed grade sheet forbids (409); ``attempt`` goes to the audit trail."""

    def __init__(self, sheet_id: int, attempt: str) -> None:
        super().__init__(
            f"grade sheet {sheet_id} is signed and closed: its grades cannot change",
            {"sheet_id": sheet_id},
        )
        self.sheet_id = sheet_id
        self.attempt = attempt


def teaches(person_id: int, course_id: object, group_id: object) -> ColumnElement[bool]:
    return exists().where(
        ScheduledSession.tutor_id == person_id,
        ScheduledSession.course_id == course_id,
        ScheduledSession.group_id == group_id,
    )


def items_filter(viewer: Viewer) -> ColumnElement[bool]:
    """Grade items whose course and group the viewer grades (students: their groups')."""
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.STAFF:
        return GradeItem.course_id.in_(
            select(Course.id).where(Course.branch_id == viewer.branch_id)
        )
    if viewer.role == Role.TUTOR:
        return teaches(viewer.person_id, GradeItem.course_id, GradeItem.group_id)
    mine = select(GroupMembership.group_id).where(GroupMembership.student_id == viewer.person_id)
    return GradeItem.group_id.in_(mine)


async def course_group(
    db: AsyncSession, viewer: Viewer, course_id: int, group_id: int
) -> tuple[Course, StudyGroup]:
    """The course and group if the viewer grades them: 403 for other roles, else 404."""
    viewer.require(*GRADERS)
    course = await get_visible(db, Course, course_id, courses_filter(viewer), "course")
    group = await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
    if await db.get(CourseGroup, (course_id, group_id)) is None:
        raise NotFound(f"group {group_id} does not take course {course_id}")
    if viewer.role == Role.TUTOR and not await db.scalar(
        select(teaches(viewer.person_id, course_id, group_id))
    ):
        raise NotFound(f"you do not teach course {course_id} to group {group_id}")
    return course, group


async def visible_item(db: AsyncSession, viewer: Viewer, item_id: int) -> GradeItem:
    viewer.require(*GRADERS)
    return await get_visible(db, GradeItem, item_id, items_filter(viewer), "grade item")


async def require_member(db: AsyncSession, group_id: int, student_id: int) -> None:
    if await db.get(GroupMembership, (group_id, student_id)) is None:
        raise ValidationFailed(f"person {student_id} is not a student of group {group_id}")


async def lock_plan(db: AsyncSession, course_id: int, group_id: int) -> ControlPlan:
    """The course and group's plan row, locked: grading and signing there take turns."""
    await insert_ignore(
        db,
        ControlPlan,
        [
            {
                "course_id": course_id,
                "group_id": group_id,
                "admission_percent": DEFAULT_ADMISSION_PERCENT,
                "admission_min": DEFAULT_ADMISSION_MIN,
                "updated_at": utcnow(),
            }
        ],
    )
    query = select(ControlPlan).where(
        ControlPlan.course_id == course_id, ControlPlan.group_id == group_id
    )
    found = await db.scalar(query.with_for_update().execution_options(populate_existing=True))
    assert found is not None
    return found


async def closing_sheet(
    db: AsyncSession, course_id: int, group_id: int, held_on: date | None
) -> GradeSheet | None:
    """The signed sheet that freezes a grade of this date (None: any date, e.g. the plan)."""
    covers = true() if held_on is None else GradeItem.held_on >= held_on
    query = (
        select(GradeSheet)
        .join(GradeItem, GradeItem.id == GradeSheet.item_id)
        .where(
            GradeSheet.course_id == course_id,
            GradeSheet.group_id == group_id,
            GradeSheet.status == SheetStatus.SIGNED.value,
            or_(GradeItem.kind == GradeKind.FINAL_EXAM.value, covers),
        )
        .order_by(GradeItem.held_on, GradeSheet.id)
        .limit(1)
    )
    found: GradeSheet | None = await db.scalar(query)
    return found


async def refuse_if_closed(
    db: AsyncSession, course_id: int, group_id: int, held_on: date | None, attempt: str
) -> None:
    sheet = await closing_sheet(db, course_id, group_id, held_on)
    if sheet is not None:
        raise SheetClosed(sheet.id, attempt)


@contextlib.asynccontextmanager
async def audited(
    sessions: async_sessionmaker[AsyncSession], viewer: Viewer
) -> AsyncIterator[AsyncSession]:
    """A write transaction; a change refused by a signed sheet is rolled back, then logged."""
    async with sessions() as db:
        try:
            yield db
        except SheetClosed as refused:
            await db.rollback()
            db.add(
                GradeSheetEvent(
                    sheet_id=refused.sheet_id,
                    action=SheetAction.REFUSED.value,
                    person_id=viewer.person_id,
                    at=utcnow(),
                    detail=refused.attempt[:500],
                )
            )
            await db.commit()
            raise
