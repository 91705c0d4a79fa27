"""A ZIP archive written while it is sent: stored (not deflated: submissions are mostly PDFs,
office files and images, already compressed), with data descriptors, so nothing is buffered
beyond one chunk and no temporary file is made."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

CHUNK = 256 * 1024


class _Sink:
    """A write-only, non-seekable target that hands back what was written since last asked."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_stream(entries: Iterable[tuple[str, Path]]) -> Iterator[bytes]:
    """The bytes of a ZIP of ``(name inside the archive, file on disk)``; blocking reads, so
    iterate it in a thread (Starlette does for a plain iterator)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]
        for name, path in entries:
            with archive.open(name, mode="w", force_zip64=True) as target, path.open("rb") as src:
                while chunk := src.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()
