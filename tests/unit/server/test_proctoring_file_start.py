"""Where a student's exam file starts, from the files processing and the recorder write (the
real thing, with real aiortc students, is tests/integration/recordings/
test_proctoring_review_offsets.py); here the cases that recording does not reach."""

from __future__ import annotations

import json
from pathlib import Path

from recordings.layout import RecordingPaths, write_json
from server.proctoring_file_start import student_file_start

ORIGIN = 1_800_000_000.0


def _paths(tmp_path: Path) -> RecordingPaths:
    return RecordingPaths(tmp_path / "session-1" / "rec-1")


def _index(paths: RecordingPaths, records: list[dict[str, object]]) -> None:
    paths.capture.mkdir(parents=True, exist_ok=True)
    write_json(paths.capture / "clock.json", {"origin": ORIGIN})
    lines = [json.dumps(r) for r in records]
    paths.index.write_text("\n".join(lines) + "\n{not json", encoding="utf-8")


def _open(publisher: str, kind: str, start: float) -> dict[str, object]:
    return {"event": "open", "publisher_id": publisher, "kind": kind, "start": start, "file": "x"}


def test_a_published_file_starts_at_its_own_t0(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    files = [
        {"name": "student-p7.mp4", "t0": 2.0, "t1": 60.0},
        {"name": "student-p9.mp4", "t0": 14.5, "t1": 61.0},
    ]
    write_json(paths.marker("publish"), {"files": files, "media_origin": ORIGIN + 2.0})
    assert student_file_start(paths, "student-p7.mp4", 7) == ORIGIN + 2.0
    assert student_file_start(paths, "student-p9.mp4", 9) == ORIGIN + 14.5
    # Published without this student's file: nothing to place on.
    assert student_file_start(paths, "student-p11.mp4", 11) is None
    assert student_file_start(paths, None, 11) is None


def test_before_processing_the_capture_manifest_gives_the_expected_start(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    _index(
        paths,
        [
            _open("p7", "audio", 1.25),
            _open("p7", "video", 1.5),
            _open("p9", "video", 9.0),
            _open("p9", "video", 4.0),  # a later segment listed first is not the start
            _open("p5", "audio", 0.5),  # audio only: processing makes no file for p5
            {"event": "close", "publisher_id": "p9", "kind": "video", "start": 0.1, "file": "x"},
        ],
    )
    assert student_file_start(paths, None, 7) == ORIGIN + 1.25
    assert student_file_start(paths, None, 9) == ORIGIN + 4.0
    assert student_file_start(paths, None, 5) is None
    assert student_file_start(paths, None, 3) is None


def test_a_folder_that_tells_nothing_gives_none(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    assert student_file_start(paths, "student-p7.mp4", 7) is None  # no folder at all
    paths.root.mkdir(parents=True)
    paths.marker("publish").write_text("{cut short", encoding="utf-8")
    _index(paths, [_open("p7", "video", 1.0)])
    # An unreadable published.json falls back to the capture manifest.
    assert student_file_start(paths, None, 7) == ORIGIN + 1.0
    write_json(paths.marker("publish"), {"files": [{"name": "student-p7.mp4", "t0": "2"}]})
    assert student_file_start(paths, "student-p7.mp4", 7) is None  # no media_origin, bad t0
    write_json(paths.capture / "clock.json", {"origin": True})
    paths.marker("publish").unlink()
    assert student_file_start(paths, None, 7) is None
