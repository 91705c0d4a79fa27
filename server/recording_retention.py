"""Retention: recordings older than RECORDING_RETENTION_DAYS are deleted from disk and marked
expired (their rows stay, so lists and audits still know they existed)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import Recording, RecordingFile, RecordingStatus
from server.recording_rows import RecordingRows


async def sweep(
    sessions: async_sessionmaker[AsyncSession], rows: RecordingRows, days: int, now: datetime
) -> int:
    """Delete ready/failed recordings started more than ``days`` ago (0: keep forever)."""
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    done = (RecordingStatus.READY.value, RecordingStatus.FAILED.value)
    async with sessions() as db:
        old = list(
            await db.scalars(
                select(Recording).where(Recording.started_at < cutoff, Recording.status.in_(done))
            )
        )
        for recording in old:
            await asyncio.to_thread(shutil.rmtree, rows.paths(recording).root, True)
            for row in await db.scalars(
                select(RecordingFile).where(RecordingFile.recording_id == recording.id)
            ):
                await db.delete(row)
            recording.status = RecordingStatus.EXPIRED.value
        await db.commit()
    return len(old)
