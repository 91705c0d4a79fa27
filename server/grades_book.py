"""The gradebook of a course and group: every student's grades, the two-grades rule before each
midterm control, the admission rating and the final mark.

Rules (docs/grades.md):
- The two-grades rule counts a student's grades on ordinary items (not controls) dated after
  the previous midterm control and on or before this one; fewer than two flags the student.
- The admission rating is the mean of the midterm controls' points (half up to a tenth); it is
  empty until every midterm control of the plan has a grade.
- The final mark is ``admission_percent`` % of the admission rating plus the rest of the exam,
  half up to a tenth; empty until both exist. Letters follow ``server.grades_scale``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    ControlPlan,
    Course,
    Grade,
    GradeItem,
    GradeKind,
    GroupMembership,
    Person,
    StudyGroup,
)
from server.grades_access import CONTROLS, DEFAULT_ADMISSION_MIN, DEFAULT_ADMISSION_PERCENT
from server.grades_scale import mean_tenths, weighted_tenths

MIN_GRADES_BEFORE_MIDTERM = 2


@dataclass(frozen=True)
class Plan:
    """The weighting of one course and group (defaults: 60 % admission, 40 % exam, min 50)."""

    admission_percent: int = DEFAULT_ADMISSION_PERCENT
    admission_min: int = DEFAULT_ADMISSION_MIN


@dataclass(frozen=True)
class RuleCheck:
    """The two-grades rule for one student before one midterm control."""

    control: GradeItem
    grades: int

    @property
    def short(self) -> bool:
        return self.grades < MIN_GRADES_BEFORE_MIDTERM


@dataclass(frozen=True)
class Summary:
    """A student's standing: rule checks, admission rating, exam and final mark (tenths)."""

    checks: list[RuleCheck]
    admission: int | None
    exam: int | None
    final: int | None
    admitted: bool | None


@dataclass
class Book:
    """What the gradebook is computed from."""

    course: Course
    group: StudyGroup
    plan: Plan
    items: list[GradeItem]
    students: list[Person]
    grades: dict[tuple[int, int], Grade] = field(default_factory=dict)

    def points_of(self, student_id: int, released_only: bool = False) -> dict[int, int]:
        """Item id → tenths of one student's grades."""
        return {
            item_id: grade.tenths
            for (item_id, owner), grade in self.grades.items()
            if owner == student_id and (grade.released_at is not None or not released_only)
        }

    def summary(self, student_id: int, released_only: bool = False) -> Summary:
        return summarise(self.plan, self.items, self.points_of(student_id, released_only))


def midterms(items: Sequence[GradeItem]) -> list[GradeItem]:
    found = [item for item in items if item.kind == GradeKind.MIDTERM.value]
    return sorted(found, key=lambda item: (item.held_on, item.id))


def exam_of(items: Sequence[GradeItem]) -> GradeItem | None:
    return next((item for item in items if item.kind == GradeKind.FINAL_EXAM.value), None)


def rule_checks(items: Sequence[GradeItem], points: dict[int, int]) -> list[RuleCheck]:
    checks, previous = [], date.min
    for control in midterms(items):
        count = sum(
            1
            for item in items
            if item.kind not in CONTROLS
            and previous < item.held_on <= control.held_on
            and item.id in points
        )
        checks.append(RuleCheck(control, count))
        previous = control.held_on
    return checks


def summarise(plan: Plan, items: Sequence[GradeItem], points: dict[int, int]) -> Summary:
    controls = midterms(items)
    admission = None
    if controls and all(item.id in points for item in controls):
        admission = mean_tenths([points[item.id] for item in controls])
    exam_item = exam_of(items)
    exam = points.get(exam_item.id) if exam_item is not None else None
    final = None
    if admission is not None and exam is not None:
        final = weighted_tenths(admission, exam, plan.admission_percent)
    admitted = None if admission is None else admission >= plan.admission_min * 10
    return Summary(rule_checks(items, points), admission, exam, final, admitted)


async def load_book(db: AsyncSession, course: Course, group: StudyGroup) -> Book:
    """Items, students and grades of one course and group, in three queries."""
    record = await db.get(ControlPlan, (course.id, group.id))
    plan = Plan(record.admission_percent, record.admission_min) if record else Plan()
    items = list(
        await db.scalars(
            select(GradeItem)
            .where(GradeItem.course_id == course.id, GradeItem.group_id == group.id)
            .order_by(GradeItem.held_on, GradeItem.id)
        )
    )
    students = list(
        await db.scalars(
            select(Person)
            .join(GroupMembership, GroupMembership.student_id == Person.id)
            .where(GroupMembership.group_id == group.id)
            .order_by(Person.full_name, Person.id)
        )
    )
    book = Book(course, group, plan, items, students)
    if items:
        found = await db.scalars(select(Grade).where(Grade.item_id.in_([i.id for i in items])))
        book.grades = {(g.item_id, g.student_id): g for g in found}
    return book
