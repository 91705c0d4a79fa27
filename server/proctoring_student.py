"""The student's own steps through a proctored exam's check-in (regulation §8.8): open it,
take the face and identity-document photos, submit the media checks for the proctor's
identity decision, start and hand in."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import CheckinState, ExamCheckin
from server.errors import Conflict, NotFound
from server.proctoring_access import (
    checkin_json,
    exam_session,
    find_checkin,
    image_type,
    person_of,
    require_student,
    student_folder,
    target_student,
    write_atomically,
)
from server.proctoring_notify import ExamNotifier
from server.proctoring_rules import MediaChecks, PhotoKind, check_move

S = CheckinState


async def own_checkin(db: AsyncSession, viewer: Viewer, session_id: int, move: str) -> ExamCheckin:
    """The student's own check-in, created on the first step, after checking the move."""
    require_student(viewer)
    await exam_session(db, viewer, session_id)
    checkin = await find_checkin(db, session_id, viewer.person_id)
    if checkin is None:
        check_move(S.NOT_STARTED, move)
        checkin = ExamCheckin(session_id=session_id, student_id=viewer.person_id)
        checkin.state = S.CHECKING_IN.value
        db.add(checkin)
        await db.flush()
        return checkin
    check_move(S(checkin.state), move)
    return checkin


class StudentSteps:
    """The student's side of the check-in and exam; photos are stored under ``root``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        root: Path,
        notifier: ExamNotifier,
        now: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self.root = root
        self._notifier = notifier
        self._now = now

    async def mine(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        require_student(viewer)
        async with self._sessions() as db:
            await exam_session(db, viewer, session_id)
            checkin = await find_checkin(db, session_id, viewer.person_id)
            return checkin_json(checkin, session_id, await person_of(db, viewer.person_id), True)

    async def begin(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        """Opens (or re-opens after a rejection) the student's check-in."""
        async with self._sessions() as db:
            checkin = await own_checkin(db, viewer, session_id, "begin")
            checkin.state = S.CHECKING_IN.value
            checkin.updated_at = self._now()
            await db.commit()
        return await self.mine(viewer, session_id)

    async def save_photo(
        self, viewer: Viewer, session_id: int, kind: PhotoKind, content_type: str, data: bytes
    ) -> dict[str, Any]:
        async with self._sessions() as db:
            checkin = await own_checkin(db, viewer, session_id, "photo")
            extension = await asyncio.to_thread(image_type, content_type, data)
            name = f"{kind.value}-{uuid.uuid4().hex}.{extension}"
            folder = student_folder(self.root, session_id, viewer.person_id)
            await asyncio.to_thread(write_atomically, folder, name, data)
            old = checkin.face_photo if kind == PhotoKind.FACE else checkin.document_photo
            setattr(checkin, f"{kind.value}_photo", name)
            checkin.state = S.CHECKING_IN.value
            checkin.updated_at = self._now()
            await db.commit()
        if old is not None:
            (folder / old).unlink(missing_ok=True)
        return await self.mine(viewer, session_id)

    async def photo(
        self, viewer: Viewer, session_id: int, student_id: int | None, kind: PhotoKind
    ) -> Path:
        """The stored photo (own with ``student_id`` None, else an overseer's view)."""
        async with self._sessions() as db:
            session = await exam_session(db, viewer, session_id)
            if student_id is None:
                require_student(viewer)
                student_id = viewer.person_id
            else:
                await target_student(db, viewer, session, student_id)
            checkin = await find_checkin(db, session_id, student_id)
        stored = None if checkin is None else getattr(checkin, f"{kind.value}_photo")
        if checkin is None or stored is None:
            raise NotFound(f"no {kind.value} photo")
        path = student_folder(self.root, session_id, student_id) / str(stored)
        if not path.is_file():
            raise NotFound(f"no {kind.value} photo")
        return path

    async def submit(self, viewer: Viewer, session_id: int, checks: MediaChecks) -> dict[str, Any]:
        """Asks for identity approval: both photos and passing media checks are required."""
        checks.require_passed()
        async with self._sessions() as db:
            checkin = await own_checkin(db, viewer, session_id, "submit")
            if checkin.face_photo is None or checkin.document_photo is None:
                raise Conflict("take the face photo and the identity document photo first")
            now = self._now()
            checkin.media_checks = json.dumps(checks.model_dump())
            checkin.state, checkin.submitted_at, checkin.updated_at = S.AWAITING_IDENTITY, now, now
            checkin.rejection_reason = None
            await db.commit()
        self._notifier.tell_overseers(session_id, viewer.person_id, S.AWAITING_IDENTITY)
        return await self.mine(viewer, session_id)

    async def start(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        return await self._move(viewer, session_id, "start", S.IN_EXAM)

    async def hand_in(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        return await self._move(viewer, session_id, "hand_in", S.HANDED_IN)

    async def _move(
        self, viewer: Viewer, session_id: int, move: str, to: CheckinState
    ) -> dict[str, Any]:
        async with self._sessions() as db:
            checkin = await own_checkin(db, viewer, session_id, move)
            now = self._now()
            checkin.state, checkin.updated_at = to.value, now
            if to == S.IN_EXAM:
                checkin.started_at = now
            else:
                checkin.finished_at = now
            await db.commit()
        self._notifier.tell_overseers(session_id, viewer.person_id, to)
        return await self.mine(viewer, session_id)
