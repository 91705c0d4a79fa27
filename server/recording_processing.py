"""Processing of finished recordings: one child process at a time (``python -m
recordings.process``), its progress copied into the database while it runs, its outcome (the
published files, or the reason it failed) recorded when it ends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings.layout import RecordingPaths, read_json
from server import recording_jobs as jobs
from server.db.models import Recording, RecordingFile, RecordingStatus
from server.recording_rows import RecordingRows
from server.tokens import EXAM_KINDS

POLL_SECONDS = 0.5


class RecordingProcessor:
    """Runs processing jobs one after another: the SFU keeps its CPU."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        rows: RecordingRows,
        now: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._rows = rows
        self._now = now
        self._one_at_a_time = asyncio.Semaphore(1)

    async def process(self, recording_id: int) -> None:
        async with self._one_at_a_time:
            recording = await self._rows.find(recording_id)
            paths = self._rows.paths(recording)
            paths.failed.unlink(missing_ok=True)
            kind = await self._rows.session_kind(recording.session_id)
            layout = "exam" if kind in EXAM_KINDS else "lecture"
            process = await jobs.spawn_processing(paths.root, layout)
            watcher = asyncio.create_task(self._watch_progress(recording_id, paths))
            try:
                code = await process.wait()
            finally:
                watcher.cancel()
            await self._processed(recording_id, paths, code)

    async def _watch_progress(self, recording_id: int, paths: RecordingPaths) -> None:
        last: Any = None
        while True:
            await asyncio.sleep(POLL_SECONDS)
            progress = read_json(paths.progress)
            if isinstance(progress, dict) and progress != last:
                last = progress
                percent = max(0, min(100, int(progress.get("percent", 0))))
                await self._rows.update(recording_id, progress=percent, phase=progress.get("phase"))

    async def _processed(self, recording_id: int, paths: RecordingPaths, code: int) -> None:
        published = read_json(paths.marker("publish"))
        if code != 0 or not isinstance(published, dict):
            failed = read_json(paths.failed) or {}
            failure = str(failed.get("reason") or f"processing ended with exit code {code}")
            await self._rows.update(
                recording_id, status=RecordingStatus.FAILED.value, failure=failure[:500]
            )
            return
        async with self._sessions() as db:
            recording = await db.get(Recording, recording_id)
            assert recording is not None
            for old in await db.scalars(
                select(RecordingFile).where(RecordingFile.recording_id == recording_id)
            ):
                await db.delete(old)
            for item in published.get("files", []):
                db.add(_file_row(recording_id, item))
            recording.status = RecordingStatus.READY.value
            recording.progress, recording.phase, recording.failure = 100, "publish", None
            recording.duration_seconds = float(published.get("duration", 0))
            origin = published.get("media_origin")
            if isinstance(origin, int | float):
                recording.media_started_at = datetime.fromtimestamp(origin, tz=self._now().tzinfo)
            await db.commit()


def _file_row(recording_id: int, item: dict[str, Any]) -> RecordingFile:
    participant = str(item.get("participant_id") or "")
    person = int(participant[1:]) if participant[:1] == "p" and participant[1:].isdigit() else None
    return RecordingFile(
        recording_id=recording_id,
        name=Path(str(item["name"])).name,
        role=str(item.get("role", "lecture"))[:16],
        person_id=person,
        duration_seconds=float(item.get("duration", 0)),
        size_bytes=int(item.get("bytes", 0)),
    )
