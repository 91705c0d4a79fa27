"""After the exam: one student's review for the proctors, the tutor and staff. The check-in
photos, the proctor's decision, and every flag and note in time order, each placed on the
session's recordings (``offset_seconds`` on the recording's clock) so review can jump to it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Viewer
from server.clock import iso_utc
from server.db.models import (
    Person,
    ProctoringFlag,
    ProctoringNote,
    Recording,
    RecordingFile,
    RecordingStatus,
)
from server.proctoring_access import checkin_json, exam_session, find_checkin, target_student


async def review(
    db: AsyncSession, viewer: Viewer, session_id: int, student_id: int, now: datetime
) -> dict[str, Any]:
    session = await exam_session(db, viewer, session_id)
    student = await target_student(db, viewer, session, student_id)
    checkin = await find_checkin(db, session_id, student_id)
    recordings = list(
        await db.scalars(
            select(Recording)
            .where(
                Recording.session_id == session_id,
                Recording.status != RecordingStatus.EXPIRED.value,
            )
            .order_by(Recording.started_at, Recording.id)
        )
    )
    files = await _student_files(db, [r.id for r in recordings], student_id)
    events: list[dict[str, Any]] = []
    decided_by = None
    if checkin is not None:
        flags = await db.scalars(
            select(ProctoringFlag)
            .where(ProctoringFlag.checkin_id == checkin.id)
            .order_by(ProctoringFlag.at, ProctoringFlag.id)
        )
        for flag in flags:
            events.append(
                {
                    "type": "flag",
                    "id": flag.id,
                    "source": flag.source,
                    "kind": flag.kind,
                    "at": flag.at,
                    "received_at": iso_utc(flag.received_at),
                    "detail": flag.detail,
                    "evidence": json.loads(flag.evidence) if flag.evidence else None,
                }
            )
        notes = await db.execute(
            select(ProctoringNote, Person.full_name)
            .join(Person, Person.id == ProctoringNote.author_id)
            .where(ProctoringNote.checkin_id == checkin.id)
            .order_by(ProctoringNote.at, ProctoringNote.id)
        )
        for note, author in notes:
            events.append(
                {
                    "type": "note",
                    "id": note.id,
                    "kind": note.kind,
                    "at": note.at,
                    "text": note.text,
                    "author_id": note.author_id,
                    "author_name": author,
                }
            )
        if checkin.decided_by is not None:
            decider = await db.get(Person, checkin.decided_by)
            decided_by = None if decider is None else decider.full_name
    events.sort(key=lambda e: (e["at"], e["type"], e["id"]))
    for event in events:
        event["recordings"] = _placements(event["at"], recordings, files, now)
        event["at"] = iso_utc(event["at"])
    view = checkin_json(checkin, session_id, student, False)
    return {
        "session_id": session_id,
        "title": session.title,
        "kind": session.kind,
        "student": {"id": student.id, "name": student.full_name},
        "checkin": view,
        "decision": {
            "state": view["state"],
            "decided_by": view.get("decided_by"),
            "decided_by_name": decided_by,
            "decided_at": view.get("decided_at"),
            "rejection_reason": view.get("rejection_reason"),
            "end_reason": view.get("end_reason"),
        },
        "recordings": [_recording_json(r, files.get(r.id)) for r in recordings],
        "events": events,
    }


async def _student_files(
    db: AsyncSession, recording_ids: list[int], student_id: int
) -> dict[int, RecordingFile]:
    if not recording_ids:
        return {}
    rows = await db.scalars(
        select(RecordingFile).where(
            RecordingFile.recording_id.in_(recording_ids), RecordingFile.person_id == student_id
        )
    )
    return {f.recording_id: f for f in rows}


def _origin(recording: Recording) -> datetime:
    return recording.media_started_at or recording.started_at


def _placements(
    at: datetime, recordings: list[Recording], files: dict[int, RecordingFile], now: datetime
) -> list[dict[str, Any]]:
    """The recordings running at ``at``, with the offset of ``at`` in each."""
    found = []
    for recording in recordings:
        if recording.started_at <= at <= (recording.stopped_at or now):
            item = files.get(recording.id)
            found.append(
                {
                    "recording_id": recording.id,
                    "file_id": None if item is None else item.id,
                    "offset_seconds": round(max(0.0, (at - _origin(recording)).total_seconds()), 3),
                }
            )
    return found


def _recording_json(recording: Recording, item: RecordingFile | None) -> dict[str, Any]:
    return {
        "id": recording.id,
        "status": recording.status,
        "started_at": iso_utc(recording.started_at),
        "stopped_at": iso_utc(recording.stopped_at),
        "media_started_at": iso_utc(recording.media_started_at),
        "file": None
        if item is None
        else {
            "id": item.id,
            "name": item.name,
            "duration_seconds": item.duration_seconds,
            "play_url": f"/api/recordings/{recording.id}/files/{item.id}",
        },
    }
