"""The lecture layout while tracks come and go: screen large with the camera inset while shared,
the camera large in between, every piece of every track kept, one file."""

from __future__ import annotations

from pathlib import Path

import av

from recordings import process
from recordings.compose import HOLD
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

MAIN = (160, 120)
INSET = (264, 194)  # the corner picture: a quarter of 320 wide, 16 px from the edges


def test_screen_share_on_off_on_gives_one_file_with_each_piece_in_place(tmp_path: Path) -> None:
    root = tmp_path / "rec"
    write_capture(
        root / "capture",
        [
            Piece("p2", "camera", "t1", 0.0, 12.0, RED),
            Piece("p2", "microphone", "t2", 0.0, 12.0),
            Piece("p2", "screen", "t3", 1.0, 2.0, BLUE),
            Piece("p2", "screen", "t3", 3.0, 1.0, BLUE),  # a second segment of the same share
            Piece("p2", "screen", "t5", 9.0, 3.0, GREEN),  # shared again: a new track
        ],
    )
    assert process.run(root, "lecture") == 0
    checked = read_json(root / "checked.json")
    assert len(checked["segments"]) == 5 and checked["left_out"] == []
    [item] = read_json(root / "published.json")["files"]
    assert item["name"] == "lecture.mp4" and abs(item["duration"] - 12.0) < 0.2
    path = root / "published" / "lecture.mp4"
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (320, 240)
    expected = {
        0.5: (RED, RED),  # before the share: camera large
        2.0: (BLUE, RED),  # first share, camera inset
        3.5: (BLUE, RED),  # its second segment
        4.0 + HOLD + 1.0: (RED, RED),  # stopped: the camera takes over again
        10.5: (GREEN, RED),  # second share
    }
    for seconds, (main, inset) in expected.items():
        frame = frame_at(path, seconds)
        assert near(yuv_at(frame, *MAIN), main), (seconds, yuv_at(frame, *MAIN))
        assert near(yuv_at(frame, *INSET), inset), (seconds, yuv_at(frame, *INSET))
