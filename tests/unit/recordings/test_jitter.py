"""The recording jitter buffer: reordering, loss, keyframe gating."""

from __future__ import annotations

from recordings.depacketize import Opus, Vp8
from recordings.jitter import JitterBuffer

KEY = bytes([0x10]) + bytes([0x00, 0, 0, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01])
DELTA = bytes([0x10]) + bytes([0x01, 0, 0])
MIDDLE = bytes([0x00]) + b"more"


def test_reordered_audio_comes_out_in_order() -> None:
    buffer = JitterBuffer(Opus())
    out = []
    for seq in (1, 3, 2, 4):
        out += buffer.push(seq, seq * 960, False, bytes([seq]), now=0.0)
    assert [f.timestamp for f in out] == [960, 1920, 2880, 3840]


def test_video_after_a_loss_waits_for_a_keyframe_and_asks_for_one() -> None:
    buffer = JitterBuffer(Vp8(), max_wait=0.1)
    out = buffer.push(1, 100, False, KEY, 0.0) + buffer.push(2, 100, True, MIDDLE, 0.0)
    assert [f.keyframe for f in out] == [True]
    buffer.keyframe_wanted = False
    # packet 3 (first of a frame) is lost; 4 ends that frame, 5 is a whole delta frame
    buffer.push(4, 200, True, MIDDLE, 0.0)
    buffer.push(5, 300, True, DELTA, 0.0)
    assert buffer.flush(1.0) == []
    assert buffer.keyframe_wanted and buffer.stats.lost == 1
    back = buffer.push(6, 400, True, KEY, 1.0)
    assert [f.keyframe for f in back] == [True]


def test_duplicates_and_late_packets_are_dropped() -> None:
    buffer = JitterBuffer(Opus())
    buffer.push(10, 0, False, b"a", 0.0)
    buffer.push(11, 960, False, b"b", 0.0)
    assert buffer.push(10, 0, False, b"a", 0.0) == []
    assert buffer.stats.late == 1
