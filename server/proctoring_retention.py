"""Retention of proctoring data (privacy): once an exam is older than PROCTORING_RETENTION_DAYS,
its check-in photos (files and fields), any other files kept for the student's exam and the
flags' evidence are deleted. The result's record stays: the check-in's states and decision, the
verdict, every flag's kind, time and detail, every note. Exam recordings follow
RECORDING_RETENTION_DAYS (``RecordingService.sweep``), like every recording.

Built with the services (``Services.proctoring_retention``), run at start-up and hourly beside the
recordings' sweep, and on demand: ``python -m server purge-proctoring``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.db.engine import make_sessionmaker
from server.db.models import ExamCheckin, ProctoringFlag, ScheduledSession, utcnow
from server.proctoring_access import proctoring_root, session_folder, student_folder
from server.settings import Settings

log = logging.getLogger(__name__)
PURGE_SECONDS = 3600


@dataclass
class PurgeReport:
    """What one purge removed."""

    checkins: int = 0
    photos: int = 0
    flags: int = 0
    sessions: list[int] = field(default_factory=list)


class ProctoringRetention:
    """Deletes proctoring photos and evidence of exams older than ``days`` (0: keep forever)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        data_dir: Path,
        days: int,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.root = proctoring_root(data_dir)
        self.days = days
        self._now = now
        self._task: asyncio.Task[None] | None = None

    async def purge(self) -> PurgeReport:
        report = PurgeReport()
        if self.days <= 0:
            return report
        cutoff = self._now() - timedelta(days=self.days)
        async with self._sessions() as db:
            rows = list(
                await db.scalars(
                    select(ExamCheckin)
                    .join(ScheduledSession, ScheduledSession.id == ExamCheckin.session_id)
                    .where(
                        ScheduledSession.starts_at < cutoff, ExamCheckin.media_purged_at.is_(None)
                    )
                    .order_by(ExamCheckin.session_id, ExamCheckin.student_id)
                )
            )
            for checkin in rows:
                report.photos += await asyncio.to_thread(self._delete_files, checkin)
                checkin.face_photo = checkin.document_photo = None
                checkin.media_purged_at = self._now()
                cleared = await db.execute(
                    update(ProctoringFlag)
                    .where(
                        ProctoringFlag.checkin_id == checkin.id,
                        ProctoringFlag.evidence.is_not(None),
                    )
                    .values(evidence=None)
                )
                report.flags += int(getattr(cleared, "rowcount", 0) or 0)
                report.checkins += 1
                if checkin.session_id not in report.sessions:
                    report.sessions.append(checkin.session_id)
            await db.commit()
        for session_id in report.sessions:
            with contextlib.suppress(OSError):
                session_folder(self.root, session_id).rmdir()  # only if now empty
        if report.checkins:
            log.info(
                "proctoring retention (%d days): purged %d check-ins of sessions %s: "
                "%d photo files deleted, evidence cleared on %d flags",
                self.days,
                report.checkins,
                report.sessions,
                report.photos,
                report.flags,
            )
        return report

    def _delete_files(self, checkin: ExamCheckin) -> int:
        """The student's folder for this exam (photos and anything else kept there)."""
        folder = student_folder(self.root, checkin.session_id, checkin.student_id)
        if not folder.is_dir():
            return 0
        count = sum(1 for path in folder.rglob("*") if path.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count

    # --- housekeeping ---

    def start_background(self) -> None:
        if self.days > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._forever())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _forever(self) -> None:
        while True:
            try:
                await self.purge()
            except Exception:
                log.exception("proctoring retention purge failed")
            await asyncio.sleep(PURGE_SECONDS)


def proctoring_retention(settings: Settings, engine: AsyncEngine) -> ProctoringRetention:
    """The purge as configured (the services' and the command line's)."""
    return ProctoringRetention(
        make_sessionmaker(engine), settings.data_dir, settings.proctoring_retention_days
    )
