"""When one exam student's recorded file begins, read from the recording's folder.

Processing makes one file per student (``student-p{id}.mp4``) that starts at that student's
first media, while the recording's ``media_started_at`` is the earliest media of anyone. The
times come from what the recorder and processing write (recordings/layout.py):

- ``published.json``: every file's ``t0`` (seconds on the recorder's clock) and ``media_origin``
  (the wall time of the earliest ``t0``), so a file starts at ``media_origin + t0 - min(t0)``.
- before processing, the capture manifest: ``capture/clock.json`` (the recorder clock's wall
  time) and ``capture/index.jsonl`` (each segment's ``start`` and publisher). The file will
  start at the student's earliest segment; processing may still leave out a segment that does
  not decode, so this is the expected start, made exact once published.

Blocking file reads: call through ``asyncio.to_thread``.
"""

from __future__ import annotations

from typing import Any

from recordings.layout import RecordingPaths, read_index, read_json


def student_file_start(paths: RecordingPaths, name: str | None, student_id: int) -> float | None:
    """The student's file's start (Unix seconds), or None when the folder does not tell."""
    published = read_json(paths.marker("publish"))
    if isinstance(published, dict):
        return _published_start(published, name)
    return _capture_start(paths, f"p{student_id}")


def _published_start(published: dict[str, Any], name: str | None) -> float | None:
    origin = _seconds(published.get("media_origin"))
    starts = {
        str(f.get("name")): t0
        for f in published.get("files", [])
        if isinstance(f, dict) and (t0 := _seconds(f.get("t0"))) is not None
    }
    if origin is None or name not in starts:
        return None
    return origin + starts[name] - min(starts.values())


def _capture_start(paths: RecordingPaths, publisher: str) -> float | None:
    clock = read_json(paths.capture / "clock.json")
    origin = _seconds(clock.get("origin")) if isinstance(clock, dict) else None
    if origin is None:
        return None
    records = [r for r in read_index(paths.index) if r.get("publisher_id") == publisher]
    # Only a publisher with video gets a file (processing skips audio-only students).
    if not any(r.get("kind") == "video" for r in records):
        return None
    opened = [_seconds(r.get("start")) for r in records if r.get("event") == "open"]
    starts = [start for start in opened if start is not None]
    return origin + min(starts) if starts else None


def _seconds(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
