"""JSON shapes of grades, grade items, the gradebook and a student's own grades."""

from __future__ import annotations

from typing import Any

from server.clock import iso_utc
from server.db.models import Grade, GradeChange, GradeItem, Person
from server.grades_book import Book, RuleCheck, Summary
from server.grades_scale import band_for, from_tenths


def score(tenths: int | None) -> dict[str, Any] | None:
    """Points with their letter and grade points, or None when there is no score."""
    if tenths is None:
        return None
    band = band_for(tenths)
    return {
        "points": from_tenths(tenths),
        "letter": band.letter,
        "grade_points": band.grade_points,
    }


def item_json(item: GradeItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "course_id": item.course_id,
        "group_id": item.group_id,
        "kind": item.kind,
        "title": item.title,
        "held_on": item.held_on.isoformat(),
        "assignment_id": item.assignment_id,
    }


def grade_json(grade: Grade) -> dict[str, Any]:
    return {
        "id": grade.id,
        "item_id": grade.item_id,
        "student_id": grade.student_id,
        **(score(grade.tenths) or {}),
        "feedback": grade.feedback,
        "released": grade.released_at is not None,
        "released_at": iso_utc(grade.released_at),
        "graded_by": grade.graded_by,
        "graded_at": iso_utc(grade.graded_at),
        "submission_id": grade.submission_id,
    }


def change_json(change: GradeChange, by_name: str) -> dict[str, Any]:
    return {
        "id": change.id,
        "old_points": None if change.old_tenths is None else from_tenths(change.old_tenths),
        "new_points": from_tenths(change.new_tenths),
        "old_feedback": change.old_feedback,
        "new_feedback": change.new_feedback,
        "reason": change.reason,
        "source": change.source,
        "changed_by": {"id": change.changed_by, "full_name": by_name},
        "changed_at": iso_utc(change.changed_at),
    }


def person_ref(person: Person) -> dict[str, Any]:
    return {"id": person.id, "login": person.login, "full_name": person.full_name}


def check_json(check: RuleCheck) -> dict[str, Any]:
    return {
        "control_id": check.control.id,
        "title": check.control.title,
        "held_on": check.control.held_on.isoformat(),
        "grades": check.grades,
        "short": check.short,
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "two_grades_rule": [check_json(check) for check in summary.checks],
        "admission": score(summary.admission),
        "exam": score(summary.exam),
        "final": score(summary.final),
        "admitted": summary.admitted,
    }


def plan_json(book: Book) -> dict[str, Any]:
    return {
        "course_id": book.course.id,
        "group_id": book.group.id,
        "admission_percent": book.plan.admission_percent,
        "exam_percent": 100 - book.plan.admission_percent,
        "admission_min": book.plan.admission_min,
        "midterms": [item_json(i) for i in book.items if i.kind == "midterm"],
        "final_exam": next((item_json(i) for i in book.items if i.kind == "final_exam"), None),
    }


def gradebook_json(book: Book) -> dict[str, Any]:
    return {
        "course": {
            "id": book.course.id,
            "code": book.course.code,
            "discipline": book.course.discipline,
            "credits": book.course.credits,
        },
        "group": {"id": book.group.id, "name": book.group.name},
        "plan": plan_json(book),
        "items": [item_json(item) for item in book.items],
        "students": [_student_row(book, student) for student in book.students],
    }


def _student_row(book: Book, student: Person) -> dict[str, Any]:
    grades = {
        str(item.id): grade_json(found)
        for item in book.items
        if (found := book.grades.get((item.id, student.id))) is not None
    }
    return {
        "student": person_ref(student),
        "grades": grades,
        **summary_json(book.summary(student.id)),
    }


def own_json(book: Book, student_id: int, released_only: bool = True) -> dict[str, Any]:
    """One student's grades in one course and group (a student: released ones only), with the
    admission rating and final mark computed from those."""
    grades = []
    for item in book.items:
        found = book.grades.get((item.id, student_id))
        if found is not None and (found.released_at is not None or not released_only):
            grades.append({"item": item_json(item), **grade_json(found)})
    summary = book.summary(student_id, released_only)
    return {
        "course": {
            "id": book.course.id,
            "code": book.course.code,
            "discipline": book.course.discipline,
            "credits": book.course.credits,
        },
        "group": {"id": book.group.id, "name": book.group.name},
        "grades": grades,
        **summary_json(summary),
    }
