"""Uploaded files: streamed to disk under a hard cap, checked, stored under server-made names in
one root (``DATA_DIR/uploads``), resumable over tus, and cleaned of leftovers at start-up.

Layout: ``files/<32 hex>`` holds complete files and partial resumable ones, ``tmp/<32 hex>.part``
holds one-request uploads while they stream. A one-request upload is checked, renamed into
``files/`` and only then recorded, so a crash leaves at worst an unrecorded file, which the
start-up sweep removes. The offset of a resumable upload is the size of its file on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import Upload, UploadState, utcnow
from server.errors import Conflict, NotFound, TooLarge
from server.files import CappedWriter, check_content, check_name, media_type, sha256_of

log = logging.getLogger(__name__)
IDLE_TEMP_SECONDS = 600


@dataclass(frozen=True)
class Limits:
    """What an upload may be: at most ``max_bytes``, one of ``accepted`` extensions."""

    max_bytes: int
    accepted: tuple[str, ...]


def _open_append(path: Path) -> BinaryIO:
    return path.open("ab")


def _create_empty(path: Path) -> None:
    path.touch(exist_ok=False)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class UploadService:
    """Stores, resumes, finds and cleans uploaded files."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], root: Path, expiry: timedelta
    ) -> None:
        self._sessions = sessions
        self.files = root / "files"
        self.tmp = root / "tmp"
        self._expiry = expiry
        self._locks: dict[int, asyncio.Lock] = {}
        self.files.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, upload: Upload) -> Path:
        return self.files / upload.storage_name

    async def store(
        self,
        owner_id: int,
        raw_name: str,
        declared: int | None,
        chunks: AsyncIterator[bytes],
        limits: Limits,
    ) -> Upload:
        """Streams one request body to disk: 413 as soon as it passes the cap, 422 bad name or
        content; nothing is kept unless every check passed."""
        checked = check_name(raw_name, limits.accepted)
        if declared is not None and declared > limits.max_bytes:
            raise TooLarge(f"the file is larger than {limits.max_bytes} bytes")
        storage = uuid.uuid4().hex
        temp = self.tmp / f"{storage}.part"
        try:
            digest, size = await _stream_into(temp, chunks, limits.max_bytes)
            await asyncio.to_thread(check_content, temp, checked.extension)
            os.replace(temp, self.files / storage)
        finally:
            _remove(temp)
        upload = Upload(
            owner_id=owner_id,
            name=checked.name,
            extension=checked.extension,
            storage_name=storage,
            length=size,
            received=size,
            max_bytes=limits.max_bytes,
            accepted=",".join(limits.accepted),
            sha256=digest,
            media_type=media_type(checked.extension),
            state=UploadState.COMPLETE.value,
            completed_at=utcnow(),
        )
        return await self._record(upload)

    async def _record(self, upload: Upload) -> Upload:
        try:
            async with self._sessions() as db:
                db.add(upload)
                await db.commit()
        except BaseException:
            _remove(self.path(upload))
            raise
        return upload

    async def create(self, owner_id: int, raw_name: str, length: int, limits: Limits) -> Upload:
        """A resumable upload of ``length`` bytes (tus creation); 413 over the cap."""
        checked = check_name(raw_name, limits.accepted)
        if length > limits.max_bytes:
            raise TooLarge(f"the file is larger than {limits.max_bytes} bytes")
        upload = Upload(
            owner_id=owner_id,
            name=checked.name,
            extension=checked.extension,
            storage_name=uuid.uuid4().hex,
            length=length,
            received=0,
            max_bytes=limits.max_bytes,
            accepted=",".join(limits.accepted),
            media_type=media_type(checked.extension),
            state=UploadState.PARTIAL.value,
            expires_at=utcnow() + self._expiry,
        )
        _create_empty(self.path(upload))
        return await self._record(upload)

    async def resumable(self, owner_id: int, upload_id: int) -> Upload:
        """The owner's upload, partial or complete, with ``received`` read from disk; 404 when
        unknown, someone else's, or expired."""
        async with self._sessions() as db:
            upload = await db.scalar(
                select(Upload).where(Upload.id == upload_id, Upload.owner_id == owner_id)
            )
        if upload is None or _expired(upload):
            raise NotFound(f"upload {upload_id} not found")
        if upload.state == UploadState.PARTIAL:
            upload.received = _size(self.path(upload))
        return upload

    async def append(
        self, owner_id: int, upload_id: int, offset: int, chunks: AsyncIterator[bytes]
    ) -> Upload:
        """Appends a PATCH body at ``offset`` (409 unless it is the current offset). Bytes that
        arrived before a dropped connection are kept; the last byte completes the upload."""
        lock = self._locks.setdefault(upload_id, asyncio.Lock())
        async with lock:
            upload = await self.resumable(owner_id, upload_id)
            if upload.state == UploadState.COMPLETE or offset != upload.received:
                raise Conflict(f"the upload is at offset {upload.received}, not {offset}")
            try:
                await _append_into(self.path(upload), chunks, upload.length, offset)
            finally:
                upload.received = _size(self.path(upload))
                await self._note_received(upload)
            if upload.received == upload.length:
                await self._complete(upload)
            return upload

    async def _note_received(self, upload: Upload) -> None:
        async with self._sessions() as db:
            await db.execute(
                update(Upload).where(Upload.id == upload.id).values(received=upload.received)
            )
            await db.commit()

    async def _complete(self, upload: Upload) -> None:
        path = self.path(upload)
        try:
            await asyncio.to_thread(check_content, path, upload.extension)
        except Exception:
            await self._forget(upload)
            raise
        upload.sha256 = await asyncio.to_thread(sha256_of, path)
        upload.state = UploadState.COMPLETE.value
        upload.completed_at = utcnow()
        async with self._sessions() as db:
            await db.execute(
                update(Upload)
                .where(Upload.id == upload.id)
                .values(
                    sha256=upload.sha256,
                    state=upload.state,
                    completed_at=upload.completed_at,
                    expires_at=None,
                )
            )
            await db.commit()

    async def terminate(self, owner_id: int, upload_id: int) -> None:
        """Drops a partial upload (tus termination); a complete one is kept (409)."""
        upload = await self.resumable(owner_id, upload_id)
        if upload.state == UploadState.COMPLETE:
            raise Conflict("a complete upload cannot be terminated")
        await self._forget(upload)

    async def _forget(self, upload: Upload) -> None:
        async with self._sessions() as db:
            await db.execute(delete(Upload).where(Upload.id == upload.id))
            await db.commit()
        _remove(self.path(upload))
        self._locks.pop(upload.id, None)

    async def clean_leftovers(self) -> int:
        """Start-up sweep: expired partial uploads, idle temp files and unrecorded files."""
        removed = 0
        async with self._sessions() as db:
            expired = list(
                await db.scalars(
                    select(Upload).where(
                        Upload.state == UploadState.PARTIAL, Upload.expires_at < utcnow()
                    )
                )
            )
            known = set(await db.scalars(select(Upload.storage_name)))
        for upload in expired:
            await self._forget(upload)
            removed += 1
        removed += _sweep(self.tmp.iterdir(), lambda _path: True)
        removed += _sweep(self.files.iterdir(), lambda path: path.name not in known)
        if removed:
            log.info("removed %d upload leftovers", removed)
        return removed


def _expired(upload: Upload) -> bool:
    return upload.expires_at is not None and upload.expires_at < utcnow()


def _sweep(paths: Iterable[Path], orphan: Callable[[Path], bool]) -> int:
    """Removes files idle for IDLE_TEMP_SECONDS that ``orphan`` says are nobody's."""
    cutoff = time.time() - IDLE_TEMP_SECONDS
    removed = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff and orphan(path):
                path.unlink()
                removed += 1
    return removed


async def _stream_into(path: Path, chunks: AsyncIterator[bytes], limit: int) -> tuple[str, int]:
    with _open_append(path) as handle:
        writer = CappedWriter(handle, limit)
        async for chunk in chunks:
            writer.write(chunk)
    return writer.digest.hexdigest(), writer.size


async def _append_into(path: Path, chunks: AsyncIterator[bytes], length: int, offset: int) -> None:
    with _open_append(path) as handle:
        writer = CappedWriter(handle, length, offset)
        async for chunk in chunks:
            writer.write(chunk)


async def owned_complete(db: AsyncSession, owner_id: int, ids: Sequence[int]) -> list[Upload]:
    """The owner's complete uploads in the order given: 404 for an id that is not theirs,
    409 for one still partial (so an interrupted upload is never part of a submission)."""
    if len(set(ids)) != len(ids):
        raise Conflict("the same upload is listed twice")
    found = {
        u.id: u
        for u in await db.scalars(
            select(Upload).where(Upload.id.in_(ids), Upload.owner_id == owner_id)
        )
    }
    for upload_id in ids:
        upload = found.get(upload_id)
        if upload is None:
            raise NotFound(f"upload {upload_id} not found")
        if upload.state != UploadState.COMPLETE:
            raise Conflict(f"upload {upload_id} is not complete yet")
    return [found[upload_id] for upload_id in ids]
