"""Who may do what in proctoring, and the JSON of a check-in.

Proctors (their branch's exams), the session's tutor and staff (their branch; admins everywhere)
oversee an exam; a student sees only their own check-in. Anything outside a viewer's scope is
404, as everywhere; a student calling a proctor's action on their own check-in gets 403.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    ExamCheckin,
    GroupMembership,
    Person,
    ProctoringFlag,
    Role,
    ScheduledSession,
)
from server.db.queries import get_visible
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.files import MAGIC
from server.proctoring_faces import image_decodes
from server.scope import EXAM_KINDS, sessions_filter

OVERSEERS = (Role.PROCTOR, Role.ADMIN, Role.STAFF)
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


def proctoring_root(data_dir: Path) -> Path:
    """Where proctoring keeps its files: ``DATA_DIR/proctoring``."""
    return data_dir / "proctoring"


def session_folder(root: Path, session_id: int) -> Path:
    """One exam's files under ``root`` (the ``proctoring_root``)."""
    return root / f"session-{session_id}"


def student_folder(root: Path, session_id: int, student_id: int) -> Path:
    """One student's files of one exam: the check-in photos (the retention purge deletes it)."""
    return session_folder(root, session_id) / f"student-{student_id}"


async def exam_session(db: AsyncSession, viewer: Viewer, session_id: int) -> ScheduledSession:
    """The exam (or midterm) session if the viewer sees it: 404 otherwise, 409 if not an exam."""
    session = await get_visible(
        db, ScheduledSession, session_id, sessions_filter(viewer), "session"
    )
    if session.kind not in EXAM_KINDS:
        raise Conflict("proctoring is for midterm and exam sessions only")
    return session


def oversees(viewer: Viewer, session: ScheduledSession) -> bool:
    return viewer.role in OVERSEERS or session.tutor_id == viewer.person_id


def require_overseer(viewer: Viewer, session: ScheduledSession) -> None:
    if not oversees(viewer, session):
        raise Forbidden("only the exam's proctors, its tutor and staff may do this")


def require_student(viewer: Viewer) -> None:
    if viewer.role != Role.STUDENT:
        raise Forbidden("only a student of the exam checks in")


async def target_student(
    db: AsyncSession, viewer: Viewer, session: ScheduledSession, student_id: int
) -> Person:
    """The student an overseer acts on. Students: another student's data is 404, their own 403."""
    if viewer.role == Role.STUDENT:
        if student_id != viewer.person_id:
            raise NotFound(f"student {student_id} not found")
        raise Forbidden("students may not do this")
    require_overseer(viewer, session)
    member = await db.scalar(
        select(Person)
        .join(GroupMembership, GroupMembership.student_id == Person.id)
        .where(GroupMembership.group_id == session.group_id, Person.id == student_id)
    )
    if member is None or member.role != Role.STUDENT:
        raise NotFound(f"student {student_id} not found in this exam")
    return member


async def find_checkin(db: AsyncSession, session_id: int, student_id: int) -> ExamCheckin | None:
    found: ExamCheckin | None = await db.scalar(
        select(ExamCheckin).where(
            ExamCheckin.session_id == session_id, ExamCheckin.student_id == student_id
        )
    )
    return found


def photo_url(checkin: ExamCheckin, kind: str, own: bool) -> str | None:
    stored = checkin.face_photo if kind == "face" else checkin.document_photo
    if stored is None:
        return None
    base = f"/api/sessions/{checkin.session_id}/proctoring"
    who = "me" if own else f"students/{checkin.student_id}"
    return f"{base}/{who}/photos/{kind}"


def checkin_json(
    checkin: ExamCheckin | None, session_id: int, student: Person, own: bool
) -> dict[str, Any]:
    """A check-in as its student or an overseer sees it; ``not_started`` when there is none."""
    base: dict[str, Any] = {
        "session_id": session_id,
        "student_id": student.id,
        "student_name": student.full_name,
    }
    if checkin is None:
        return base | {"state": "not_started", "face_photo_url": None, "document_photo_url": None}
    return base | {
        "id": checkin.id,
        "state": checkin.state,
        "face_photo_url": photo_url(checkin, "face", own),
        "document_photo_url": photo_url(checkin, "document", own),
        "media_checks": json.loads(checkin.media_checks) if checkin.media_checks else None,
        "submitted_at": iso_utc(checkin.submitted_at),
        "decided_by": checkin.decided_by,
        "decided_at": iso_utc(checkin.decided_at),
        "rejection_reason": checkin.rejection_reason,
        "started_at": iso_utc(checkin.started_at),
        "finished_at": iso_utc(checkin.finished_at),
        "end_reason": checkin.end_reason,
        "updated_at": iso_utc(checkin.updated_at),
    }


def image_type(content_type: str, data: bytes) -> str:
    """The extension of a JPEG or PNG body whose bytes match its type; 422 otherwise (blocking)."""
    extension = PHOTO_TYPES.get(content_type.split(";")[0].strip().lower())
    if extension is None:
        raise ValidationFailed("send the image as image/jpeg or image/png")
    if not data.startswith(MAGIC[extension]) or not image_decodes(data):
        raise ValidationFailed(f"the content is not a valid .{extension} image")
    return extension


def flag_json(flag: ProctoringFlag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "source": flag.source,
        "kind": flag.kind,
        "at": iso_utc(flag.at),
        "received_at": iso_utc(flag.received_at),
        "detail": flag.detail,
        "evidence": json.loads(flag.evidence) if flag.evidence else None,
    }


NO_FLAGS: dict[str, Any] = {"flag_count": 0, "last_flag_at": None, "last_flag_kind": None}


async def flag_summaries(db: AsyncSession, checkin_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per check-in: how many flags, and the time and kind of the latest (by its time)."""
    if not checkin_ids:
        return {}
    rows = await db.execute(
        select(ProctoringFlag.checkin_id, ProctoringFlag.kind, ProctoringFlag.at)
        .where(ProctoringFlag.checkin_id.in_(checkin_ids))
        .order_by(ProctoringFlag.at, ProctoringFlag.id)
    )
    found: dict[int, dict[str, Any]] = {}
    for checkin_id, kind, at in rows:
        count = found.get(checkin_id, NO_FLAGS)["flag_count"]
        last = {"last_flag_at": iso_utc(at), "last_flag_kind": kind}
        found[checkin_id] = {"flag_count": count + 1} | last
    return found


async def person_of(db: AsyncSession, person_id: int) -> Person:
    person = await db.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def write_atomically(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{name}.part"
    temp.write_bytes(data)
    os.replace(temp, folder / name)
