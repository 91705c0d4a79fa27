"""Reading grades: the gradebook, the control plan, students short of the two-grades rule ahead
of a midterm (for the tutor and the dean's office), and a student's own grades."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import (
    Course,
    Grade,
    GradeItem,
    GradeKind,
    Person,
    Role,
    StudyGroup,
    utcnow,
)
from server.db.queries import get_visible
from server.errors import NotFound
from server.grades_access import (
    GRADERS,
    audited,
    course_group,
    items_filter,
    lock_plan,
    refuse_if_closed,
)
from server.grades_book import Book, load_book, rule_checks
from server.grades_schemas import PlanIn
from server.grades_views import gradebook_json, item_json, own_json, person_ref, plan_json
from server.scope import people_filter


class GradebookService:
    """The gradebook, the plan, at-risk students and students' own grades."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], timezone: str) -> None:
        self._sessions = sessions
        self._zone = zoneinfo.ZoneInfo(timezone)

    async def _book(self, db: AsyncSession, viewer: Viewer, course_id: int, group_id: int) -> Book:
        course, group = await course_group(db, viewer, course_id, group_id)
        return await load_book(db, course, group)

    async def gradebook(self, viewer: Viewer, course_id: int, group_id: int) -> dict[str, Any]:
        async with self._sessions() as db:
            return gradebook_json(await self._book(db, viewer, course_id, group_id))

    async def plan(self, viewer: Viewer, course_id: int, group_id: int) -> dict[str, Any]:
        async with self._sessions() as db:
            return plan_json(await self._book(db, viewer, course_id, group_id))

    async def set_plan(
        self, viewer: Viewer, course_id: int, group_id: int, body: PlanIn
    ) -> dict[str, Any]:
        """New weighting; refused (409, logged) once any sheet of the course and group is
        signed, since signed final marks were computed with the old one."""
        async with audited(self._sessions, viewer) as db:
            await course_group(db, viewer, course_id, group_id)
            plan = await lock_plan(db, course_id, group_id)
            await refuse_if_closed(db, course_id, group_id, None, "change the control plan")
            plan.admission_percent = body.admission_percent
            plan.admission_min = body.admission_min
            plan.updated_by, plan.updated_at = viewer.person_id, utcnow()
            await db.commit()
            return plan_json(await self._book(db, viewer, course_id, group_id))

    async def at_risk(self, viewer: Viewer, days: int) -> list[dict[str, Any]]:
        """Midterm controls in the next ``days`` days (from today) with the students who have
        fewer than two grades before them, within the viewer's courses and groups."""
        viewer.require(*GRADERS)
        today = utcnow().astimezone(self._zone).date()
        async with self._sessions() as db:
            controls = list(
                await db.scalars(
                    select(GradeItem)
                    .where(
                        items_filter(viewer),
                        GradeItem.kind == GradeKind.MIDTERM.value,
                        GradeItem.held_on >= today,
                        GradeItem.held_on <= today + timedelta(days=days),
                    )
                    .order_by(GradeItem.held_on, GradeItem.id)
                )
            )
            books: dict[tuple[int, int], Book] = {}
            found = []
            for control in controls:
                key = (control.course_id, control.group_id)
                if key not in books:
                    books[key] = await self._plain_book(db, *key)
                found.append(_flagged(books[key], control, (control.held_on - today).days))
        return found

    async def _plain_book(self, db: AsyncSession, course_id: int, group_id: int) -> Book:
        course = await db.get(Course, course_id)
        group = await db.get(StudyGroup, group_id)
        assert course is not None and group is not None
        return await load_book(db, course, group)

    async def student_grades(self, viewer: Viewer, student_id: int) -> list[dict[str, Any]]:
        """A student's grades per course: the student sees only their own released grades
        (anyone else's is 404); graders see the courses and groups they grade."""
        async with self._sessions() as db:
            if viewer.role == Role.STUDENT and student_id != viewer.person_id:
                raise NotFound(f"person {student_id} not found")
            await get_visible(db, Person, student_id, people_filter(viewer), "person")
            query = (
                select(GradeItem.course_id, GradeItem.group_id)
                .join(Grade, Grade.item_id == GradeItem.id)
                .where(Grade.student_id == student_id, items_filter(viewer))
                .distinct()
                .order_by(GradeItem.course_id, GradeItem.group_id)
            )
            if viewer.role == Role.STUDENT:
                query = query.where(Grade.released_at.is_not(None))
            pairs = (await db.execute(query)).all()
            books = [await self._plain_book(db, course, group) for course, group in pairs]
        released_only = viewer.role == Role.STUDENT
        return [own_json(book, student_id, released_only) for book in books]


def _flagged(book: Book, control: GradeItem, days_left: int) -> dict[str, Any]:
    short = []
    for student in book.students:
        points = book.points_of(student.id)
        check = next(c for c in rule_checks(book.items, points) if c.control.id == control.id)
        if check.short:
            short.append({"student": person_ref(student), "grades": check.grades})
    return {
        "course": {"id": book.course.id, "code": book.course.code},
        "group": {"id": book.group.id, "name": book.group.name},
        "control": item_json(control),
        "days_left": days_left,
        "students": short,
    }
