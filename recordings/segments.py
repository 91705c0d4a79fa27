"""Segment files, written by one thread so that disk I/O never blocks the event loop.

The event loop hands commands over a queue (open a segment, add a frame, close it); the thread
muxes the encoded frames with PyAV into WebM (VP8, Opus) or Matroska (H.264) without decoding.
A segment is ``{name}.part`` while open; closing writes the cues, fsyncs, renames it to its final
name and appends a line to ``index.jsonl``. So after a crash every finished segment is whole, and
the journal says which ``.part`` was open and when it started.

Every byte goes through ``BudgetFile``: past the byte budget it raises the same
``OSError(ENOSPC)`` a full disk raises, and both end in the same place: the thread stops writing,
closes what it can, and reports ``disk_full`` once.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from recordings.depacketize import vp8_dimensions

log = logging.getLogger(__name__)
MS = Fraction(1, 1000)


class DiskBudget:
    """Bytes the recorder may still write under RECORDINGS_DIR (None: no cap)."""

    def __init__(self, limit: int | None) -> None:
        self.remaining = limit
        self._lock = threading.Lock()

    def take(self, size: int) -> None:
        with self._lock:
            if self.remaining is None:
                return
            if size > self.remaining:
                raise OSError(errno.ENOSPC, "recording size cap reached (RECORDING_MAX_BYTES)")
            self.remaining -= size


class BudgetFile(io.RawIOBase):
    """A seekable file whose growth is charged to a ``DiskBudget``."""

    def __init__(self, path: Path, budget: DiskBudget) -> None:
        super().__init__()
        self._file = path.open("w+b")
        self._budget = budget
        self._end = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        size = len(data)
        position = self._file.tell()
        growth = max(0, position + size - self._end)
        self._budget.take(growth)
        written = self._file.write(data)
        self._end = max(self._end, position + written)
        return written

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        super().close()


@dataclass(frozen=True)
class TrackInfo:
    """What the index says about a track (from the room's subscription offer)."""

    key: str
    track_id: str
    publisher_id: str
    label: str
    kind: str
    mime_type: str


@dataclass
class _Open:
    info: TrackInfo
    number: int
    start: float
    path: Path
    file: BudgetFile
    container: Any
    stream: Any
    last_pts: int = -1
    frames: int = 0


Command = tuple[str, tuple[Any, ...]]


class SegmentWriter:
    """The writer thread and its queue. Every public method is safe to call from the loop."""

    def __init__(
        self, folder: Path, budget: DiskBudget, on_fatal: Callable[[str, str], None]
    ) -> None:
        self.folder = folder
        self._budget = budget
        self._on_fatal = on_fatal
        # Commands are handed over in batches (``flush``): waking the thread for every frame
        # costs more CPU, in GIL hand-offs, than the muxing itself.
        self._queue: queue.SimpleQueue[list[Command] | None] = queue.SimpleQueue()
        self._pending: list[Command] = []
        self._segments: dict[str, _Open] = {}
        self._journal = (folder / "index.jsonl").open("a", encoding="utf-8")
        self.failed: str | None = None
        self.bytes_written = 0
        self._thread = threading.Thread(target=self._run, name="segment-writer", daemon=True)
        self._thread.start()

    def open(self, info: TrackInfo, number: int, start: float, first: bytes) -> None:
        """Start segment ``number`` of a track at session time ``start``; ``first`` is the frame
        it will begin with (a keyframe, for video: the picture size is read from it)."""
        self._pending.append(("open", (info, number, start, first)))

    def frame(self, key: str, data: bytes, at: float, keyframe: bool) -> None:
        self._pending.append(("frame", (key, data, at, keyframe)))

    def close(self, key: str, end: float, stats: dict[str, int]) -> None:
        self._pending.append(("close", (key, end, stats)))

    def flush(self) -> None:
        """Hand what was queued since the last flush to the thread (the loop's tick calls it)."""
        if self._pending:
            self._queue.put(self._pending)
            self._pending = []

    def stop(self, timeout: float = 30) -> None:
        """Close every open segment and end the thread (blocking: call it from a thread)."""
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            for command in batch:
                self._run_one(command)
        for key in list(self._segments):
            try:
                self._do_close(key, None, {})
            except Exception:
                log.exception("could not close the segment of %s", key)
        self._journal.close()

    def _run_one(self, command: Command) -> None:
        if self.failed is not None:
            return
        name, args = command
        try:
            getattr(self, f"_do_{name}")(*args)
        except OSError as exc:
            self._fail("disk_full" if exc.errno == errno.ENOSPC else "write_failed", str(exc))
        except Exception as exc:  # bad media must not take the recorder down
            log.exception("segment writer: %s failed", name)
            self._drop(args[0].key if name == "open" else args[0], f"{name}: {exc}")

    def _do_open(self, info: TrackInfo, number: int, start: float, first: bytes) -> None:
        if info.key in self._segments:
            self._do_close(info.key, start, {})
        suffix = ".mkv" if info.mime_type.lower() == "video/h264" else ".webm"
        path = self.folder / f"{info.key}-{number:05d}{suffix}"
        file = BudgetFile(path.with_name(path.name + ".part"), self._budget)
        container = av.open(file, "w", format="matroska" if suffix == ".mkv" else "webm")
        stream = _add_stream(container, info, first)
        self._segments[info.key] = _Open(info, number, start, path, file, container, stream)
        self._journal_write({"event": "open", "file": path.name, "start": start, **_meta(info)})

    def _do_frame(self, key: str, data: bytes, at: float, keyframe: bool) -> None:
        segment = self._segments.get(key)
        if segment is None:
            return
        pts = max(round((at - segment.start) * 1000), segment.last_pts + 1)
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = MS
        packet.stream = segment.stream
        packet.is_keyframe = keyframe
        segment.container.mux(packet)
        segment.last_pts = pts
        segment.frames += 1
        self.bytes_written += len(data)

    def _do_close(self, key: str, end: float | None, stats: dict[str, int]) -> None:
        segment = self._segments.pop(key, None)
        if segment is None:
            return
        try:
            segment.container.close()
            segment.file.sync()
        finally:
            segment.file.close()
        if segment.frames == 0:
            os.unlink(segment.path.with_name(segment.path.name + ".part"))
            return
        os.replace(segment.path.with_name(segment.path.name + ".part"), segment.path)
        duration = max(segment.last_pts, 0) / 1000
        record = {
            "event": "close",
            "file": segment.path.name,
            "start": segment.start,
            "end": end if end is not None else segment.start + duration,
            "duration": duration,
            "frames": segment.frames,
            "stats": stats,
            **_meta(segment.info),
        }
        self._journal_write(record, sync=True)

    def _journal_write(self, record: dict[str, Any], sync: bool = False) -> None:
        self._journal.write(json.dumps(record) + "\n")
        self._journal.flush()
        if sync:
            os.fsync(self._journal.fileno())

    def _drop(self, key: str, reason: str) -> None:
        segment = self._segments.pop(key, None)
        if segment is not None:
            self._safely(segment.container.close)
            segment.file.close()
        log.warning("segment of %s dropped: %s", key, reason)

    def _fail(self, reason: str, detail: str) -> None:
        """Stop writing: close what can be closed (finished segments are already whole)."""
        self.failed = reason
        for segment in list(self._segments.values()):
            self._safely(segment.container.close)
            segment.file.close()
        self._segments.clear()
        self._on_fatal(reason, detail)

    @staticmethod
    def _safely(action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            log.debug("ignored while closing", exc_info=True)


def _add_stream(container: Any, info: TrackInfo, first: bytes) -> Any:
    mime = info.mime_type.lower()
    if mime == "audio/opus":
        stream = container.add_mux_stream("opus", rate=48000)
    else:
        width, height = video_size(mime, first)
        codec = "vp8" if mime == "video/vp8" else "h264"
        stream = container.add_mux_stream(codec, width=width, height=height)
    stream.time_base = MS
    return stream


def _meta(info: TrackInfo) -> dict[str, str]:
    return {
        "track": info.key,
        "track_id": info.track_id,
        "publisher_id": info.publisher_id,
        "label": info.label,
        "kind": info.kind,
        "mime_type": info.mime_type,
    }


def video_size(mime_type: str, keyframe: bytes) -> tuple[int, int]:
    """A keyframe's picture size: parsed for VP8, decoded once for H.264 (0, 0 if unknown)."""
    if mime_type.lower() == "video/vp8":
        return vp8_dimensions(keyframe) or (0, 0)
    try:
        context = av.CodecContext.create("h264", "r")
        for frame in context.decode(av.Packet(keyframe)):
            return int(frame.width), int(frame.height)
    except Exception:
        log.debug("could not read the H.264 picture size", exc_info=True)
    return (0, 0)
