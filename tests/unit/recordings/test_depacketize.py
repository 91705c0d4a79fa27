"""The H.264 RTP depacketiser (RFC 6184): single NAL units, STAP-A, FU-A, loss and bad input.

Frames come out in Annex B (start code before every NAL unit); a frame with an IDR slice is a
keyframe. Malformed payloads raise ``MalformedPayload`` with a message saying what is wrong, so
the jitter buffer can drop the frame and ask for a keyframe.
"""

from __future__ import annotations

import pytest

from recordings.depacketize import H264, START_CODE, MalformedPayload, depacketizer_for
from recordings.jitter import Frame, JitterBuffer

SPS = bytes([0x67, 0x42, 0xC0, 0x1F, 0xDA])  # nal_ref_idc 3, type 7
PPS = bytes([0x68, 0xCE, 0x3C, 0x80])  # type 8
IDR = bytes([0x65]) + bytes(range(1, 40))  # type 5
SLICE = bytes([0x41]) + bytes(range(50, 80))  # type 1, non-IDR


def stap_a(*units: bytes) -> bytes:
    body = b"".join(len(u).to_bytes(2, "big") + u for u in units)
    return bytes([0x78]) + body  # F=0, NRI=3, type 24


def fu_a(nal: bytes, pieces: int) -> list[bytes]:
    """``nal`` cut into ``pieces`` FU-A fragments (start bit on the first, end on the last)."""
    indicator = (nal[0] & 0xE0) | 28
    body = nal[1:]
    size = -(-len(body) // pieces)
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    out = []
    for index, chunk in enumerate(chunks):
        header = nal[0] & 0x1F
        if index == 0:
            header |= 0x80
        if index == len(chunks) - 1:
            header |= 0x40
        out.append(bytes([indicator, header]) + chunk)
    return out


@pytest.fixture
def h264() -> H264:
    codec = depacketizer_for("video/H264")
    assert isinstance(codec, H264)
    return codec


def test_single_nal_units_become_annex_b(h264: H264) -> None:
    data, keyframe = h264.assemble([SLICE])
    assert data == START_CODE + SLICE
    assert keyframe is False
    data, keyframe = h264.assemble([SPS, PPS, IDR])
    assert data == START_CODE + SPS + START_CODE + PPS + START_CODE + IDR
    assert keyframe is True
    assert h264.starts_frame(SLICE) and h264.starts_frame(IDR)


def test_stap_a_splits_into_its_units(h264: H264) -> None:
    data, keyframe = h264.assemble([stap_a(SPS, PPS), IDR])
    assert data == START_CODE + SPS + START_CODE + PPS + START_CODE + IDR
    assert keyframe is True
    assert h264.starts_frame(stap_a(SPS, PPS))


def test_fu_a_start_middle_end_rebuild_the_nal_header_and_body(h264: H264) -> None:
    start, middle, end = fu_a(IDR, 3)
    assert h264.starts_frame(start)
    assert not h264.starts_frame(middle) and not h264.starts_frame(end)
    data, keyframe = h264.assemble([start, middle, end])
    assert data == START_CODE + IDR  # header rebuilt from indicator NRI + FU type
    assert keyframe is True
    data, keyframe = h264.assemble([stap_a(SPS, PPS), *fu_a(SLICE, 4)])
    assert data == START_CODE + SPS + START_CODE + PPS + START_CODE + SLICE
    assert keyframe is False


def test_a_lost_first_fragment_means_the_rest_cannot_start_a_frame(h264: H264) -> None:
    _start, middle, end = fu_a(IDR, 3)
    # The jitter buffer asks before using a packet as a frame start after a loss.
    assert not h264.starts_frame(middle)
    assert not h264.starts_frame(end)


def test_a_lost_middle_fragment_leaves_a_shorter_nal(h264: H264) -> None:
    start, _middle, end = fu_a(IDR, 3)
    data, _ = h264.assemble([start, end])
    assert data.startswith(START_CODE + IDR[:1])
    assert len(data) < len(START_CODE + IDR)


@pytest.mark.parametrize(
    ("payloads", "message"),
    [
        ([b""], "empty H.264 payload"),
        ([], "H.264 frame without NAL units"),
        ([bytes([0x78, 0x00, 0x09, 0x67])], "STAP-A unit overruns the payload"),
        ([bytes([0x78, 0x00, 0x00])], "STAP-A unit overruns the payload"),
        ([bytes([0x7C, 0x85])], "FU-A fragment too short"),
        ([bytes([0x79, 0x00])], "NAL unit type 25 is not supported"),
        ([bytes([0x7D, 0x85, 0x00])], "NAL unit type 29 is not supported"),
        ([bytes([0x60])], "NAL unit type 0 is not supported"),
    ],
)
def test_malformed_payloads_raise_a_clear_error(
    h264: H264, payloads: list[bytes], message: str
) -> None:
    with pytest.raises(MalformedPayload, match=message):
        h264.assemble(payloads)


def test_an_empty_packet_never_starts_a_frame(h264: H264) -> None:
    assert not h264.starts_frame(b"")
    assert not h264.starts_frame(bytes([0x7C]))  # FU-A indicator without its header


def test_an_unknown_codec_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="cannot record video/AV1"):
        depacketizer_for("video/AV1")


def _push_all(buffer: JitterBuffer, packets: list[tuple[int, int, bool, bytes]]) -> list[Frame]:
    out: list[Frame] = []
    for seq, ts, marker, payload in packets:
        out += buffer.push(seq, ts, marker, payload, 0.0)
    return out


def test_through_the_jitter_buffer_a_lost_fu_a_fragment_drops_the_frame_until_a_keyframe() -> None:
    buffer = JitterBuffer(H264(), max_wait=0.1)
    key = _push_all(buffer, [(1, 0, False, stap_a(SPS, PPS)), (2, 0, True, IDR)])
    assert [f.keyframe for f in key] == [True]
    buffer.keyframe_wanted = False
    start, _middle, end = fu_a(SLICE, 3)
    # seq 4 (the middle fragment) is lost; seq 6 is a whole later delta frame.
    _push_all(buffer, [(3, 3000, False, start), (5, 3000, True, end), (6, 6000, True, SLICE)])
    assert buffer.flush(1.0) == []
    assert buffer.keyframe_wanted and buffer.stats.lost == 1
    back = _push_all(buffer, [(7, 9000, False, stap_a(SPS, PPS)), (8, 9000, True, IDR)])
    assert [f.keyframe for f in back] == [True]


def test_through_the_jitter_buffer_a_malformed_frame_is_counted_and_dropped() -> None:
    buffer = JitterBuffer(H264(), max_wait=0.1)
    _push_all(buffer, [(1, 0, True, IDR)])
    out = _push_all(buffer, [(2, 3000, True, bytes([0x78, 0x00, 0x09, 0x67]))])
    out += buffer.flush(1.0)
    assert out == []
    assert buffer.stats.malformed == 1
    assert buffer.keyframe_wanted
