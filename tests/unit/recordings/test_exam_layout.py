"""The exam layout: one file per student, camera left and screen right, each at half width."""

from __future__ import annotations

from pathlib import Path

import av

from recordings import process
from recordings.layout import read_json
from tests.unit.recordings.synthetic import (
    BLUE,
    GREEN,
    RED,
    Piece,
    frame_at,
    near,
    write_capture,
    yuv_at,
)


def test_each_student_gets_one_file_with_camera_left_and_screen_right(tmp_path: Path) -> None:
    root = tmp_path / "rec"
    write_capture(
        root / "capture",
        [
            Piece("p5", "camera", "t1", 0.0, 2.0, RED),
            Piece("p5", "screen", "t2", 0.0, 2.0, BLUE, size=(480, 270)),
            Piece("p5", "microphone", "t3", 0.0, 2.0),
            Piece("p6", "camera", "t4", 0.2, 1.8, GREEN),  # no screen shared: right half black
            Piece("p1", "microphone", "t5", 0.0, 2.0),  # the proctor's voice: no file of its own
        ],
    )
    assert process.run(root, "exam") == 0
    published = read_json(root / "published.json")
    names = sorted(f["name"] for f in published["files"])
    assert names == ["student-p5.mp4", "student-p6.mp4"]
    assert {f["participant_id"] for f in published["files"]} == {"p5", "p6"}
    with av.open(str(root / "published" / "student-p5.mp4")) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (1280, 360)
        assert len(container.streams.audio) == 1
    both = frame_at(root / "published" / "student-p5.mp4", 1.0)
    assert near(yuv_at(both, 320, 180), RED), yuv_at(both, 320, 180)  # camera, left half
    assert near(yuv_at(both, 960, 180), BLUE), yuv_at(both, 960, 180)  # screen, right half
    alone = frame_at(root / "published" / "student-p6.mp4", 1.0)
    assert near(yuv_at(alone, 320, 180), GREEN)
    assert near(yuv_at(alone, 960, 180), (16, 128, 128))  # black: nothing shared


def test_a_screen_share_stopped_and_started_again_stays_in_the_screen_half(tmp_path: Path) -> None:
    root = tmp_path / "rec"
    write_capture(
        root / "capture",
        [
            Piece("p5", "camera", "t1", 0.0, 9.0, RED),
            Piece("p5", "screen", "t2", 0.0, 2.0, BLUE),  # shared, stopped
            Piece("p5", "screen", "t4", 6.0, 3.0, GREEN),  # shared again: a new track
        ],
    )
    assert process.run(root, "exam") == 0
    [item] = read_json(root / "published.json")["files"]
    path = root / "published" / item["name"]
    assert abs(item["duration"] - 9.0) < 0.2
    for seconds, right in ((1.0, BLUE), (5.5, (16, 128, 128)), (7.5, GREEN)):
        frame = frame_at(path, seconds)
        assert near(yuv_at(frame, 320, 180), RED), seconds
        assert near(yuv_at(frame, 960, 180), right), (seconds, yuv_at(frame, 960, 180))
