"""Request bodies of the grades API. Points arrive as JSON numbers (0..100, at most one decimal)
and are parsed into whole tenths at the edge, so a string, a boolean or 100.5 never gets in."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

from server.db.models import GradeKind
from server.grades_scale import to_tenths
from server.schemas import Id, Name, Strict

Tenths = Annotated[int, BeforeValidator(to_tenths)]
Feedback = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]


class GradeIn(Strict):
    """Points with feedback; ``reason`` is required when an existing grade changes; ``release``
    shows the grade to the student now. Omitted feedback keeps the grade's current feedback."""

    points: Tenths
    feedback: Feedback | None = None
    reason: Reason | None = None
    release: bool = False


class BulkEntry(Strict):
    """One cell of the gradebook: a student's points on a grade item."""

    item_id: Id
    student_id: Id
    points: Tenths
    feedback: Feedback | None = None


class BulkIn(Strict):
    """Several gradebook cells written together: all of them or none."""

    grades: Annotated[list[BulkEntry], Field(min_length=1, max_length=500)]
    reason: Reason | None = None
    release: bool = False


class GradeItemIn(Strict):
    """A graded item of a course and group; ``assignment_id`` links an assignment's grades."""

    course_id: Id
    group_id: Id
    kind: GradeKind
    title: Name
    held_on: date
    assignment_id: Id | None = None


class GradeItemUpdate(Strict):
    """A new title or date for a grade item."""

    title: Name | None = None
    held_on: date | None = None


class PlanIn(Strict):
    """How the final mark is formed: the admission rating's percent (the exam takes the rest)
    and the admission rating needed to sit the exam."""

    admission_percent: Percent
    admission_min: Percent = 50


class ReopenIn(Strict):
    """Why a signed sheet is opened again (kept in its audit trail)."""

    reason: Reason
