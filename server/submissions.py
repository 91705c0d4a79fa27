"""A student's work on an assignment: a draft kept on the server, then final versions, each kept.

A final submit is one transaction: the submission row's version counter goes up by one (that
row's lock orders concurrent submits of one student), the version and its files are inserted,
and the receipt is made from what was stored. Only complete uploads can be part of it, so an
upload cut off half-way never makes a submission look submitted. The same idempotency key
(per student) never makes a second version.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.assignments import TUTORS, assignments_filter, is_closed, types_of
from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    Assignment,
    Role,
    Submission,
    SubmissionFile,
    SubmissionVersion,
    Upload,
    utcnow,
)
from server.db.queries import get_visible
from server.db.upsert import insert_ignore
from server.errors import Conflict, NotFound, ValidationFailed
from server.idempotency import check_replay, fingerprint
from server.offline_schemas import DraftIn, SubmitIn
from server.uploads import owned_complete


def receipt_json(
    version: SubmissionVersion, assignment_id: int, files: list[Any]
) -> dict[str, Any]:
    return {
        "id": version.id,
        "submission_id": version.submission_id,
        "assignment_id": assignment_id,
        "version": version.number,
        "submitted_at": iso_utc(version.submitted_at),
        "late": version.late,
        "text": version.text,
        "idempotency_key": version.idempotency_key,
        "files": [
            {"upload_id": f.upload_id, "name": f.name, "size": f.size, "sha256": f.sha256}
            for f in files
        ],
    }


def _check_files(assignment: Assignment, uploads: list[Upload]) -> None:
    for upload in uploads:
        if upload.extension not in types_of(assignment):
            raise ValidationFailed(f"{upload.name}: .{upload.extension} is not accepted here")
        if upload.length > assignment.max_file_bytes:
            raise ValidationFailed(
                f"{upload.name} is larger than {assignment.max_file_bytes} bytes"
            )


class SubmissionService:
    """Drafts, final submits with receipts, and reading submissions within scope."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def _assignment(self, db: AsyncSession, viewer: Viewer, assignment_id: int) -> Assignment:
        found = await get_visible(
            db, Assignment, assignment_id, assignments_filter(viewer), "assignment"
        )
        viewer.require(Role.STUDENT)
        return found

    async def save_draft(self, viewer: Viewer, assignment_id: int, body: DraftIn) -> dict[str, Any]:
        async with self._sessions() as db:
            assignment = await self._assignment(db, viewer, assignment_id)
            _check_files(assignment, await owned_complete(db, viewer.person_id, body.upload_ids))
            await _ensure_row(db, assignment.id, viewer.person_id)
            await db.execute(
                update(Submission)
                .where(
                    Submission.assignment_id == assignment.id,
                    Submission.student_id == viewer.person_id,
                )
                .values(
                    draft_text=body.text,
                    draft_uploads=json.dumps(body.upload_ids),
                    draft_saved_at=utcnow(),
                )
            )
            await db.commit()
        return await self.mine(viewer, assignment_id)

    async def submit(
        self, viewer: Viewer, assignment_id: int, body: SubmitIn, key: str
    ) -> tuple[dict[str, Any], bool]:
        """Makes a final version (201) or returns the one made with this key (200)."""
        digest = fingerprint({"assignment_id": assignment_id, **body.model_dump(mode="json")})
        async with self._sessions() as db:
            assignment = await self._assignment(db, viewer, assignment_id)
            replay = await _replay(db, viewer.person_id, key, digest)
            if replay is not None:
                return replay, False
            now = utcnow()
            if is_closed(assignment, now):
                raise Conflict("this assignment is closed: it was due and takes no late work")
            text, upload_ids = await _content(db, assignment.id, viewer.person_id, body)
            uploads = await owned_complete(db, viewer.person_id, upload_ids)
            _check_files(assignment, uploads)
            if not uploads and not text.strip():
                raise ValidationFailed("a submission needs at least one file or some text")
            try:
                version = await _store(db, assignment, viewer.person_id, body, key, digest, text)
                if version is not None:
                    files = _file_rows(version.id, uploads)
                    db.add_all(files)
                    await db.commit()
                    return receipt_json(version, assignment.id, files), True
            except IntegrityError:
                await db.rollback()  # a concurrent resend with this key was stored first
            # Another submit got in first: this very one (same key), or a rival from base_version.
            replay = await _replay(db, viewer.person_id, key, digest)
            if replay is None:
                raise Conflict("the submission changed since base_version; reload and submit")
            return replay, False

    async def mine(self, viewer: Viewer, assignment_id: int) -> dict[str, Any]:
        """The student's own submission of an assignment: draft and every version."""
        async with self._sessions() as db:
            assignment = await self._assignment(db, viewer, assignment_id)
            found = await db.scalar(
                select(Submission).where(
                    Submission.assignment_id == assignment.id,
                    Submission.student_id == viewer.person_id,
                )
            )
            return await _submission_json(db, assignment.id, viewer.person_id, found)

    async def get(self, viewer: Viewer, submission_id: int) -> dict[str, Any]:
        """A submission by id: its student, or a tutor or staff member who sees the assignment;
        anyone else (another student included) gets 404."""
        async with self._sessions() as db:
            found = await db.get(Submission, submission_id)
            if found is None or not await self._may_read(db, viewer, found):
                raise NotFound(f"submission {submission_id} not found")
            return await _submission_json(db, found.assignment_id, found.student_id, found)

    async def _may_read(self, db: AsyncSession, viewer: Viewer, found: Submission) -> bool:
        if viewer.role == Role.STUDENT:
            return found.student_id == viewer.person_id
        if viewer.role not in TUTORS:
            return False
        visible = await db.scalar(
            select(Assignment.id).where(
                Assignment.id == found.assignment_id, assignments_filter(viewer)
            )
        )
        return visible is not None


async def _ensure_row(db: AsyncSession, assignment_id: int, student_id: int) -> None:
    await insert_ignore(
        db,
        Submission,
        [
            {
                "assignment_id": assignment_id,
                "student_id": student_id,
                "draft_text": "",
                "draft_uploads": "[]",
                "versions": 0,
                "late": False,
            }
        ],
    )


async def _content(
    db: AsyncSession, assignment_id: int, student_id: int, body: SubmitIn
) -> tuple[str, list[int]]:
    """What to submit: the body's text and files, or the saved draft's where absent."""
    draft = await db.scalar(
        select(Submission).where(
            Submission.assignment_id == assignment_id, Submission.student_id == student_id
        )
    )
    text = body.text if body.text is not None else (draft.draft_text if draft else "")
    ids = body.upload_ids
    if ids is None:
        ids = json.loads(draft.draft_uploads) if draft else []
    return text, list(ids)


async def _store(
    db: AsyncSession,
    assignment: Assignment,
    student_id: int,
    body: SubmitIn,
    key: str,
    digest: str,
    text: str,
) -> SubmissionVersion | None:
    """The new version, or None when ``base_version`` is no longer the current one."""
    now = utcnow()
    late = now > assignment.due_at
    await _ensure_row(db, assignment.id, student_id)
    query = update(Submission).where(
        Submission.assignment_id == assignment.id, Submission.student_id == student_id
    )
    if body.base_version is not None:
        query = query.where(Submission.versions == body.base_version)
    taken = (
        await db.execute(
            query.values(versions=Submission.versions + 1, submitted_at=now, late=late)
            .returning(Submission.id, Submission.versions)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if taken is None:
        await db.rollback()
        return None
    version = SubmissionVersion(
        submission_id=taken[0],
        student_id=student_id,
        number=taken[1],
        text=text,
        idempotency_key=key,
        content_hash=digest,
        submitted_at=now,
        late=late,
    )
    db.add(version)
    await db.flush()
    return version


def _file_rows(version_id: int, uploads: list[Upload]) -> list[SubmissionFile]:
    return [
        SubmissionFile(
            version_id=version_id,
            position=i,
            upload_id=u.id,
            name=u.name,
            size=u.length,
            sha256=u.sha256 or "",
        )
        for i, u in enumerate(uploads)
    ]


async def _replay(db: AsyncSession, student_id: int, key: str, digest: str) -> Any:
    found = await db.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.student_id == student_id, SubmissionVersion.idempotency_key == key
        )
    )
    if found is None:
        return None
    check_replay(found.content_hash, digest)
    submission = await db.get(Submission, found.submission_id)
    assert submission is not None
    return receipt_json(found, submission.assignment_id, await _version_files(db, found.id))


async def _version_files(db: AsyncSession, version_id: int) -> list[SubmissionFile]:
    return list(
        await db.scalars(
            select(SubmissionFile)
            .where(SubmissionFile.version_id == version_id)
            .order_by(SubmissionFile.position)
        )
    )


async def _submission_json(
    db: AsyncSession, assignment_id: int, student_id: int, found: Submission | None
) -> dict[str, Any]:
    versions: list[dict[str, Any]] = []
    if found is not None:
        for version in await db.scalars(
            select(SubmissionVersion)
            .where(SubmissionVersion.submission_id == found.id)
            .order_by(SubmissionVersion.number)
        ):
            files = await _version_files(db, version.id)
            versions.append(receipt_json(version, assignment_id, files))
    return {
        "id": found.id if found else None,
        "assignment_id": assignment_id,
        "student_id": student_id,
        "status": _status(found),
        "late": bool(found and found.late),
        "submitted_at": iso_utc(found.submitted_at) if found else None,
        "draft": {
            "text": found.draft_text if found else "",
            "upload_ids": json.loads(found.draft_uploads) if found else [],
            "saved_at": iso_utc(found.draft_saved_at) if found else None,
        },
        "versions": versions,
    }


def _status(found: Submission | None) -> str:
    if found is not None and found.versions:
        return "late" if found.late else "submitted"
    if found is not None and found.draft_saved_at is not None:
        return "draft"
    return "missing"
