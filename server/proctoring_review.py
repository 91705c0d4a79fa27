"""After the exam: one student's review for the proctors, the tutor and staff. The check-in
photos, the proctor's decision, and every flag and note in time order, each placed on the
session's recordings so review can jump to it, and the verdict. Every opening of a review is
logged (``proctoring_review_views``).

``offset_seconds`` is on the clock of the file the review points to: the student's own exam file
starts at that student's first media, not at the recording's (the earliest of all students), so
each placement is measured from that file's start (server/proctoring_file_start.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recordings.layout import RecordingPaths
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
from server.proctoring_file_start import student_file_start
from server.proctoring_verdicts import find_verdict, log_view, verdict_view

# An event this much before the file's first media has no place on it (check-in, decision).
BEFORE_SLACK_SECONDS = 0.5


async def review(
    db: AsyncSession,
    viewer: Viewer,
    session_id: int,
    student_id: int,
    now: datetime,
    recordings_dir: Path | None = None,
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
    starts = await _file_starts(recordings_dir, recordings, files, student_id)
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
        event["recordings"] = _placements(event["at"], recordings, files, starts, now)
        event["at"] = iso_utc(event["at"])
    view = checkin_json(checkin, session_id, student, False)
    view["media_purged_at"] = None if checkin is None else iso_utc(checkin.media_purged_at)
    verdict = await verdict_view(db, await find_verdict(db, checkin))
    await log_view(db, viewer, session_id, student_id, now)
    await db.commit()
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
        "recordings": [_recording_json(r, files.get(r.id), starts.get(r.id)) for r in recordings],
        "events": events,
        "verdict": verdict,
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


async def _file_starts(
    root: Path | None,
    recordings: list[Recording],
    files: dict[int, RecordingFile],
    student_id: int,
) -> dict[int, datetime]:
    """When the student's file of each recording begins, where the recording's folder says."""
    if root is None:
        return {}
    found: dict[int, datetime] = {}
    for recording in recordings:
        if not recording.folder:
            continue
        item = files.get(recording.id)
        paths = RecordingPaths(root / recording.folder)
        name = None if item is None else item.name
        start = await asyncio.to_thread(student_file_start, paths, name, student_id)
        if start is not None:
            found[recording.id] = datetime.fromtimestamp(start, tz=UTC)
    return found


def _origin(recording: Recording, starts: dict[int, datetime]) -> datetime:
    """The zero of a placement: the student's file's start, else the recording's media start."""
    return starts.get(recording.id) or recording.media_started_at or recording.started_at


def _placements(
    at: datetime,
    recordings: list[Recording],
    files: dict[int, RecordingFile],
    starts: dict[int, datetime],
    now: datetime,
) -> list[dict[str, Any]]:
    """The recordings running at ``at``, with the offset of ``at`` in the student's file."""
    found = []
    for recording in recordings:
        if recording.started_at <= at <= (recording.stopped_at or now):
            item = files.get(recording.id)
            offset = (at - _origin(recording, starts)).total_seconds()
            found.append(
                {
                    "recording_id": recording.id,
                    "file_id": None if item is None else item.id,
                    "offset_seconds": round(max(0.0, offset), 3),
                    "before_start": offset < -BEFORE_SLACK_SECONDS,
                    "clock": "file" if recording.id in starts else "recording",
                }
            )
    return found


def _recording_json(
    recording: Recording, item: RecordingFile | None, start: datetime | None
) -> dict[str, Any]:
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
            "started_at": iso_utc(start),
            "play_url": f"/api/recordings/{recording.id}/files/{item.id}",
        },
    }
