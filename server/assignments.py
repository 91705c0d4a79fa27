"""Assignments a tutor sets for a course and group, and the tutor's view of who submitted.

An assignment is visible to whoever sees its group (students of the group, tutors who teach it,
staff of its branch, admins); outside that it is "not found". Students may read it and submit;
the tutor actions (set, roster, archive) refuse students with 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    Assignment,
    AssignmentFile,
    Course,
    CourseGroup,
    GroupMembership,
    Person,
    Role,
    StudyGroup,
    Submission,
    SubmissionFile,
    SubmissionVersion,
    Upload,
    utcnow,
)
from server.db.queries import get_visible
from server.errors import ValidationFailed
from server.files import parse_types
from server.inbox_views import file_json
from server.offline_schemas import AssignmentIn
from server.scope import courses_filter, groups_filter
from server.uploads import owned_complete

TUTORS = (Role.TUTOR, Role.STAFF, Role.ADMIN)


def assignments_filter(viewer: Viewer) -> ColumnElement[bool]:
    return Assignment.group_id.in_(select(StudyGroup.id).where(groups_filter(viewer)))


def types_of(assignment: Assignment) -> tuple[str, ...]:
    return tuple(assignment.accepted_types.split(","))


def is_closed(assignment: Assignment, now: datetime) -> bool:
    return now > assignment.due_at and not assignment.late_accepted


def assignment_json(item: Assignment, files: Sequence[Upload], now: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "course_id": item.course_id,
        "group_id": item.group_id,
        "tutor_id": item.tutor_id,
        "title": item.title,
        "instructions": item.instructions,
        "due_at": iso_utc(item.due_at),
        "max_points": item.max_points,
        "accepted_types": list(types_of(item)),
        "max_file_bytes": item.max_file_bytes,
        "late_accepted": item.late_accepted,
        "closed": is_closed(item, now),
        "files": [file_json(u) for u in files],
        "created_at": iso_utc(item.created_at),
    }


class AssignmentService:
    """Sets, lists and reports on assignments."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_upload_bytes: int) -> None:
        self._sessions = sessions
        self._max_upload = max_upload_bytes

    async def create(self, viewer: Viewer, body: AssignmentIn) -> dict[str, Any]:
        viewer.require(*TUTORS)
        types = parse_types(body.accepted_types)
        if body.max_file_bytes > self._max_upload:
            raise ValidationFailed(f"max_file_bytes may be at most {self._max_upload}")
        async with self._sessions() as db:
            await get_visible(db, StudyGroup, body.group_id, groups_filter(viewer), "group")
            await get_visible(db, Course, body.course_id, courses_filter(viewer), "course")
            if await db.get(CourseGroup, (body.course_id, body.group_id)) is None:
                raise ValidationFailed(f"group {body.group_id} does not take this course")
            uploads = await owned_complete(db, viewer.person_id, body.upload_ids)
            item = Assignment(
                **body.model_dump(exclude={"accepted_types", "upload_ids"}),
                accepted_types=",".join(types),
                tutor_id=viewer.person_id,
                created_at=utcnow(),
            )
            db.add(item)
            await db.flush()
            db.add_all(
                AssignmentFile(assignment_id=item.id, position=i, upload_id=u.id)
                for i, u in enumerate(uploads)
            )
            await db.commit()
        return assignment_json(item, uploads, utcnow())

    async def visible(self, db: AsyncSession, viewer: Viewer, assignment_id: int) -> Assignment:
        return await get_visible(
            db, Assignment, assignment_id, assignments_filter(viewer), "assignment"
        )

    async def listing(self, viewer: Viewer) -> list[dict[str, Any]]:
        async with self._sessions() as db:
            found = list(
                await db.scalars(
                    select(Assignment)
                    .where(assignments_filter(viewer))
                    .order_by(Assignment.due_at, Assignment.id)
                )
            )
            files = await _files(db, [a.id for a in found])
        now = utcnow()
        return [assignment_json(a, files.get(a.id, []), now) for a in found]

    async def get(self, viewer: Viewer, assignment_id: int) -> dict[str, Any]:
        async with self._sessions() as db:
            item = await self.visible(db, viewer, assignment_id)
            files = await _files(db, [item.id])
        return assignment_json(item, files.get(item.id, []), utcnow())

    async def roster(self, viewer: Viewer, assignment_id: int) -> dict[str, Any]:
        """Every student of the group: submitted (on time or late), draft only, or nothing."""
        async with self._sessions() as db:
            item = await self.visible(db, viewer, assignment_id)
            viewer.require(*TUTORS)
            rows = (
                await db.execute(
                    select(Person, Submission)
                    .join(GroupMembership, GroupMembership.student_id == Person.id)
                    .outerjoin(
                        Submission,
                        (Submission.student_id == Person.id)
                        & (Submission.assignment_id == item.id),
                    )
                    .where(GroupMembership.group_id == item.group_id)
                    .order_by(Person.full_name)
                )
            ).all()
        students = [_roster_row(person, found) for person, found in rows]
        counts = {state: 0 for state in ("submitted", "late", "draft", "missing")}
        for row in students:
            counts[row["status"]] += 1
        return {"assignment_id": item.id, "counts": counts, "students": students}

    async def archive(self, viewer: Viewer, assignment_id: int) -> tuple[Assignment, list[Any]]:
        """The latest final version of each student, as ``(login, number, late, file)`` rows."""
        async with self._sessions() as db:
            item = await self.visible(db, viewer, assignment_id)
            viewer.require(*TUTORS)
            rows = (
                await db.execute(
                    select(
                        Person.login,
                        SubmissionVersion.number,
                        SubmissionVersion.late,
                        SubmissionFile.name,
                        Upload.storage_name,
                    )
                    .join(Submission, Submission.student_id == Person.id)
                    .join(
                        SubmissionVersion,
                        (SubmissionVersion.submission_id == Submission.id)
                        & (SubmissionVersion.number == Submission.versions),
                    )
                    .join(SubmissionFile, SubmissionFile.version_id == SubmissionVersion.id)
                    .join(Upload, Upload.id == SubmissionFile.upload_id)
                    .where(Submission.assignment_id == item.id)
                    .order_by(Person.login, SubmissionFile.position)
                )
            ).all()
        return item, list(rows)


def _roster_row(person: Person, found: Submission | None) -> dict[str, Any]:
    if found is not None and found.versions:
        status = "late" if found.late else "submitted"
    elif found is not None and found.draft_saved_at is not None:
        status = "draft"
    else:
        status = "missing"
    return {
        "student": {"id": person.id, "login": person.login, "full_name": person.full_name},
        "status": status,
        "submission_id": found.id if found is not None else None,
        "versions": found.versions if found is not None else 0,
        "submitted_at": iso_utc(found.submitted_at) if found is not None else None,
        "late": bool(found is not None and found.late),
    }


async def _files(db: AsyncSession, assignment_ids: list[int]) -> dict[int, list[Upload]]:
    rows = await db.execute(
        select(AssignmentFile.assignment_id, Upload)
        .join(Upload, Upload.id == AssignmentFile.upload_id)
        .where(AssignmentFile.assignment_id.in_(assignment_ids))
        .order_by(AssignmentFile.assignment_id, AssignmentFile.position)
    )
    found: dict[int, list[Upload]] = {}
    for assignment_id, upload in rows:
        found.setdefault(assignment_id, []).append(upload)
    return found
