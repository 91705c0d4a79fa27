"""Grading on the 100-point scale: grade items, grades with feedback and release, the history of
every change, the gradebook path, and the hook that grades an assignment's submission.

Every write of a grade goes through ``GradeService._apply`` inside ``audited``: it takes the
course and group's plan row (grading and signing take turns), refuses with 409 when a signed
sheet freezes the grade (and logs the attempt), and appends a ``GradeChange``.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import (
    Assignment,
    Grade,
    GradeChange,
    GradeItem,
    GradeKind,
    GradeSource,
    Person,
    Submission,
    utcnow,
)
from server.errors import Conflict, NotFound, ValidationFailed
from server.grades_access import (
    GRADERS,
    audited,
    course_group,
    lock_plan,
    refuse_if_closed,
    require_member,
    visible_item,
)
from server.grades_schemas import BulkIn, GradeIn, GradeItemIn, GradeItemUpdate
from server.grades_views import change_json, grade_json, item_json


class GradeService:
    """Grade items and grades of the courses and groups a viewer grades."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], timezone: str) -> None:
        self._sessions = sessions
        self._zone = zoneinfo.ZoneInfo(timezone)

    def today(self) -> date:
        """The faculty's calendar day (its default zone), which item dates are in."""
        return utcnow().astimezone(self._zone).date()

    # --- grade items ---

    async def create_item(self, viewer: Viewer, body: GradeItemIn) -> dict[str, Any]:
        async with audited(self._sessions, viewer) as db:
            await course_group(db, viewer, body.course_id, body.group_id)
            if body.assignment_id is not None:
                await self._check_assignment(db, body)
            if body.kind == GradeKind.FINAL_EXAM and await self._has_exam(db, body):
                raise Conflict("this course and group already have a final exam")
            await lock_plan(db, body.course_id, body.group_id)
            attempt = f"add grade item {body.title!r} dated {body.held_on}"
            await refuse_if_closed(db, body.course_id, body.group_id, body.held_on, attempt)
            item = GradeItem(
                **body.model_dump(exclude={"kind"}),
                kind=body.kind.value,
                created_by=viewer.person_id,
                created_at=utcnow(),
            )
            db.add(item)
            await db.commit()
            return item_json(item)

    async def _check_assignment(self, db: AsyncSession, body: GradeItemIn) -> None:
        found = await db.get(Assignment, body.assignment_id)
        if found is None or (found.course_id, found.group_id) != (body.course_id, body.group_id):
            raise ValidationFailed(f"assignment {body.assignment_id} is not of this course/group")
        taken = await db.scalar(
            select(GradeItem.id).where(GradeItem.assignment_id == body.assignment_id)
        )
        if taken is not None:
            raise Conflict(f"assignment {body.assignment_id} already has grade item {taken}")

    async def _has_exam(self, db: AsyncSession, body: GradeItemIn) -> bool:
        found = await db.scalar(
            select(GradeItem.id).where(
                GradeItem.course_id == body.course_id,
                GradeItem.group_id == body.group_id,
                GradeItem.kind == GradeKind.FINAL_EXAM.value,
            )
        )
        return found is not None

    async def update_item(
        self, viewer: Viewer, item_id: int, body: GradeItemUpdate
    ) -> dict[str, Any]:
        async with audited(self._sessions, viewer) as db:
            item = await visible_item(db, viewer, item_id)
            await lock_plan(db, item.course_id, item.group_id)
            attempt = f"change grade item {item.id}"
            for day in {item.held_on, body.held_on or item.held_on}:
                await refuse_if_closed(db, item.course_id, item.group_id, day, attempt)
            for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
                setattr(item, name, value)
            await db.commit()
            return item_json(item)

    async def item(self, viewer: Viewer, item_id: int) -> dict[str, Any]:
        """A grade item with every grade given on it."""
        async with self._sessions() as db:
            item = await visible_item(db, viewer, item_id)
            grades = await db.scalars(
                select(Grade).where(Grade.item_id == item.id).order_by(Grade.student_id)
            )
            return {**item_json(item), "grades": [grade_json(g) for g in grades]}

    # --- grades ---

    async def set_grade(
        self, viewer: Viewer, item_id: int, student_id: int, body: GradeIn
    ) -> dict[str, Any]:
        async with audited(self._sessions, viewer) as db:
            item = await visible_item(db, viewer, item_id)
            await lock_plan(db, item.course_id, item.group_id)
            grade = await self._apply(db, viewer, item, student_id, body, GradeSource.API)
            await db.commit()
            return grade_json(grade)

    async def set_many(
        self, viewer: Viewer, course_id: int, group_id: int, body: BulkIn
    ) -> list[dict[str, Any]]:
        """The gradebook path: several cells of one course and group, all or nothing."""
        async with audited(self._sessions, viewer) as db:
            await course_group(db, viewer, course_id, group_id)
            await lock_plan(db, course_id, group_id)
            done = []
            for entry in body.grades:
                item = await db.get(GradeItem, entry.item_id)
                if item is None or (item.course_id, item.group_id) != (course_id, group_id):
                    raise NotFound(f"grade item {entry.item_id} is not in this gradebook")
                one = GradeIn.model_construct(
                    points=entry.points,
                    feedback=entry.feedback,
                    reason=body.reason,
                    release=body.release,
                )
                done.append(
                    await self._apply(
                        db, viewer, item, entry.student_id, one, GradeSource.GRADEBOOK
                    )
                )
            await db.commit()
            return [grade_json(grade) for grade in done]

    async def grade_submission(
        self, viewer: Viewer, submission_id: int, body: GradeIn
    ) -> dict[str, Any]:
        """Grades a student's submitted work on its assignment's grade item (made on first use)."""
        viewer.require(*GRADERS)
        async with audited(self._sessions, viewer) as db:
            found = await db.get(Submission, submission_id)
            assignment = await db.get(Assignment, found.assignment_id) if found else None
            if found is None or assignment is None:
                raise NotFound(f"submission {submission_id} not found")
            await course_group(db, viewer, assignment.course_id, assignment.group_id)
            if not found.versions:
                raise Conflict("nothing has been submitted yet: only a draft exists")
            grade = await self._grade_assignment(
                db, viewer, assignment, found.student_id, body, found.id
            )
            await db.commit()
            return grade_json(grade)

    async def grade_assignment(
        self,
        viewer: Viewer,
        *,
        course_id: int,
        group_id: int,
        assignment_id: int,
        student_id: int,
        body: GradeIn,
        submission_id: int | None = None,
    ) -> dict[str, Any]:
        """The hook for the submissions code: grade a student's work on an assignment."""
        async with audited(self._sessions, viewer) as db:
            await course_group(db, viewer, course_id, group_id)
            assignment = await db.get(Assignment, assignment_id)
            if assignment is None or (assignment.course_id, assignment.group_id) != (
                course_id,
                group_id,
            ):
                raise NotFound(f"assignment {assignment_id} not found in this course and group")
            grade = await self._grade_assignment(
                db, viewer, assignment, student_id, body, submission_id
            )
            await db.commit()
            return grade_json(grade)

    async def _grade_assignment(
        self,
        db: AsyncSession,
        viewer: Viewer,
        assignment: Assignment,
        student_id: int,
        body: GradeIn,
        submission_id: int | None,
    ) -> Grade:
        await lock_plan(db, assignment.course_id, assignment.group_id)
        item = await db.scalar(select(GradeItem).where(GradeItem.assignment_id == assignment.id))
        if item is None:
            item = GradeItem(
                course_id=assignment.course_id,
                group_id=assignment.group_id,
                kind=GradeKind.ASSIGNMENT.value,
                title=assignment.title,
                held_on=assignment.due_at.astimezone(self._zone).date(),
                assignment_id=assignment.id,
                created_by=viewer.person_id,
                created_at=utcnow(),
            )
            db.add(item)
            await db.flush()
        grade = await self._apply(db, viewer, item, student_id, body, GradeSource.SUBMISSION)
        grade.submission_id = submission_id or grade.submission_id
        return grade

    async def _apply(
        self,
        db: AsyncSession,
        viewer: Viewer,
        item: GradeItem,
        student_id: int,
        body: GradeIn,
        source: GradeSource,
    ) -> Grade:
        """The one place a grade is written; the caller holds the plan row's lock."""
        await require_member(db, item.group_id, student_id)
        attempt = f"{source.value}: grade student {student_id} on item {item.id} ({item.title})"
        await refuse_if_closed(db, item.course_id, item.group_id, item.held_on, attempt)
        grade = await db.scalar(
            select(Grade).where(Grade.item_id == item.id, Grade.student_id == student_id)
        )
        now = utcnow()
        old = (grade.tenths, grade.feedback) if grade is not None else None
        new = (body.points, body.feedback if body.feedback is not None else (old or (0, ""))[1])
        if grade is None:
            grade = Grade(item_id=item.id, student_id=student_id, tenths=new[0], feedback=new[1])
            db.add(grade)
        elif old != new and body.reason is None:
            raise ValidationFailed("changing a grade needs a reason")
        if old != new:
            grade.tenths, grade.feedback = new
            grade.graded_by, grade.graded_at = viewer.person_id, now
            await db.flush()
            db.add(_change(grade.id, old, new, body.reason, source, viewer.person_id))
        if body.release and grade.released_at is None:
            grade.released_at = now
        await db.flush()
        return grade

    async def release(self, viewer: Viewer, item_id: int) -> int:
        """Shows every grade of an item to its student; returns how many were newly released.
        Releasing changes no points or feedback, so a signed sheet does not stop it."""
        async with self._sessions() as db:
            item = await visible_item(db, viewer, item_id)
            result = await db.execute(
                update(Grade)
                .where(Grade.item_id == item.id, Grade.released_at.is_(None))
                .values(released_at=utcnow())
            )
            await db.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    async def history(self, viewer: Viewer, item_id: int, student_id: int) -> list[dict[str, Any]]:
        """Every change of one grade, oldest first."""
        async with self._sessions() as db:
            item = await visible_item(db, viewer, item_id)
            rows = await db.execute(
                select(GradeChange, Person.full_name)
                .join(Grade, Grade.id == GradeChange.grade_id)
                .join(Person, Person.id == GradeChange.changed_by)
                .where(Grade.item_id == item.id, Grade.student_id == student_id)
                .order_by(GradeChange.id)
            )
            return [change_json(change, name) for change, name in rows]


def _change(
    grade_id: int,
    old: tuple[int, str] | None,
    new: tuple[int, str],
    reason: str | None,
    source: GradeSource,
    person_id: int,
) -> GradeChange:
    return GradeChange(
        grade_id=grade_id,
        old_tenths=old[0] if old else None,
        new_tenths=new[0],
        old_feedback=old[1] if old else None,
        new_feedback=new[1],
        reason=reason or "",
        source=source.value,
        changed_by=person_id,
        changed_at=utcnow(),
    )
