"""Where a recording lives on disk, and the small JSON files that mark its progress.

    RECORDINGS_DIR/session-{session_id}/rec-{recording_id}/
        capture/     the recorder's segments ({track}-{n}.webm, ``.part`` while open),
                     index.jsonl (one line per segment opened/closed), stopped.json
        archive/     phase 1: the finished segments (and what a crash left, salvaged)
        work/        phase 3: the file being made
        published/   phase 4: the playable files
        archived.json, checked.json, processed.json, published.json   phase markers
        progress.json, failed.json                                     for the server to read

Every name is made here from numbers and track ids the server issued; nothing a person typed
becomes part of a path.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAFE = re.compile(r"[^a-z0-9_-]")
PHASES = ("archive", "check", "process", "publish")
MARKERS = {
    "archive": "archived.json",
    "check": "checked.json",
    "process": "processed.json",
    "publish": "published.json",
}
# Exit codes of the recorder process.
EXIT_OK = 0
EXIT_CRASHED = 1
EXIT_DISK_FULL = 3
EXIT_JOIN_FAILED = 4


def safe_name(text: str) -> str:
    """A file-name fragment from a track or participant id."""
    cleaned = SAFE.sub("_", text.lower())[:40]
    return cleaned or "track"


@dataclass(frozen=True)
class RecordingPaths:
    """The folders and files of one recording."""

    root: Path

    @classmethod
    def of(cls, recordings_dir: Path, session_id: int, recording_id: int) -> RecordingPaths:
        return cls(recordings_dir / f"session-{session_id}" / f"rec-{recording_id}")

    @property
    def capture(self) -> Path:
        return self.root / "capture"

    @property
    def index(self) -> Path:
        return self.capture / "index.jsonl"

    @property
    def stopped(self) -> Path:
        return self.capture / "stopped.json"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def progress(self) -> Path:
        return self.root / "progress.json"

    @property
    def failed(self) -> Path:
        return self.root / "failed.json"

    def marker(self, phase: str) -> Path:
        return self.root / MARKERS[phase]


def write_json(path: Path, data: Any) -> None:
    """Write-then-rename, so a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or unreadable (e.g. cut by a crash)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_index(path: Path) -> list[dict[str, Any]]:
    """The segment journal; a last line cut short by a crash is ignored."""
    records: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return records
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def folder_size(path: Path) -> int:
    """Bytes used by the files under ``path``."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total
