"""Helpers for the after-exam proctoring tests: a student whose exam is over, the exam's day,
a proctor of another branch, and a processed recording of a session made without the recorder."""

from __future__ import annotations

import asyncio
import zoneinfo
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from server.cli import DEMO_PASSWORD
from server.db.engine import make_sessionmaker
from server.db.models import (
    Branch,
    Person,
    Recording,
    RecordingFile,
    RecordingStatus,
    Role,
    ScheduledSession,
    utcnow,
)
from server.services import Services
from tests.integration.server.proctoring_kit import base, in_exam


async def handed_in(student: httpx.AsyncClient, proctor: httpx.AsyncClient, session: int) -> int:
    """Checks the student in, approves, starts and hands in the exam; returns the student id."""
    student_id = await in_exam(student, proctor, session)
    assert (await student.post(f"{base(session)}/me/hand-in")).status_code == 200
    return student_id


async def session_row(services: Services, session_id: int) -> ScheduledSession:
    async with make_sessionmaker(services.engine)() as db:
        found = await db.get(ScheduledSession, session_id)
    assert found is not None
    return found


async def exam_day(services: Services, session_id: int) -> date:
    """The exam's date in the faculty's zone (what its control's grade item carries)."""
    session = await session_row(services, session_id)
    zone = zoneinfo.ZoneInfo(services.settings.default_timezone)
    return session.starts_at.astimezone(zone).date()


async def far_proctor(services: Services) -> str:
    """A proctor of a branch other than the demo exams' (head office); returns the login."""
    async with make_sessionmaker(services.engine)() as db:
        branch = await db.scalar(select(Branch).where(Branch.is_head_office.is_(False)).limit(1))
        assert branch is not None
        db.add(
            Person(
                login="proctor.far",
                full_name="Проктор другого филиала",
                role=Role.PROCTOR.value,
                branch_id=branch.id,
                password_hash=await services.passwords.hash(DEMO_PASSWORD),
            )
        )
        await db.commit()
    return "proctor.far"


def _write(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"\x1a\x45\xdf\xa3 not really a webm")


async def ready_recording(services: Services, session_id: int, student_id: int) -> tuple[int, int]:
    """A processed recording of the session with the student's exam file on disk."""
    folder = f"session-{session_id}/test"
    name = f"student-{student_id}.webm"
    published: Path = services.settings.recordings_dir / folder / "published"
    await asyncio.to_thread(_write, published, name)
    now = utcnow()
    async with make_sessionmaker(services.engine)() as db:
        recording = Recording(
            session_id=session_id,
            status=RecordingStatus.READY.value,
            folder=folder,
            started_at=now - timedelta(minutes=5),
            stopped_at=now,
            media_started_at=now - timedelta(minutes=5),
            progress=100,
            duration_seconds=300.0,
        )
        db.add(recording)
        await db.flush()
        item = RecordingFile(
            recording_id=recording.id,
            name=name,
            role="student",
            person_id=student_id,
            duration_seconds=300.0,
            size_bytes=30,
        )
        db.add(item)
        await db.commit()
        return recording.id, item.id
