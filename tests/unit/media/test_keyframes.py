from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from media.keyframes import (
    is_h264_keyframe_start,
    is_vp8_keyframe_start,
    keyframe_detector,
    vp8_payload_header_offset,
)
from tests.unit.media.rtp_samples import vp8


def test_vp8_keyframe_start_is_detected() -> None:
    assert is_vp8_keyframe_start(vp8(keyframe=True))


def test_vp8_delta_frames_and_continuations_are_not_keyframe_starts() -> None:
    assert not is_vp8_keyframe_start(vp8(keyframe=False))
    assert not is_vp8_keyframe_start(vp8(keyframe=True, start=False))


def test_vp8_descriptor_without_extension() -> None:
    assert is_vp8_keyframe_start(bytes([0x10, 0x10, 0, 0]))
    assert not is_vp8_keyframe_start(bytes([0x10, 0x11, 0, 0]))


def test_vp8_descriptor_with_15_bit_picture_id_tl0picidx_and_keyidx() -> None:
    # X=1 S=1 | I L T K | M + 15-bit picture id (2 bytes) | TL0PICIDX | TID/Y/KEYIDX | tag
    payload = bytes([0x90, 0xF0, 0x81, 0x23, 0x07, 0x40, 0x10, 0, 0])
    assert vp8_payload_header_offset(payload) == 6
    assert is_vp8_keyframe_start(payload)


def test_vp8_partition_other_than_zero_is_not_a_start() -> None:
    assert not is_vp8_keyframe_start(bytes([0x11, 0x10, 0, 0]))


def test_vp8_truncated_descriptors_are_not_keyframes() -> None:
    for payload in (b"", b"\x90", b"\x90\x80", b"\x90\x80\x05", b"\x90\xf0\x81\x23\x07\x40"):
        assert not is_vp8_keyframe_start(payload)


def test_h264_idr_sps_stap_a_and_fu_a() -> None:
    assert is_h264_keyframe_start(bytes([0x65, 0x88]))  # IDR slice
    assert is_h264_keyframe_start(bytes([0x67, 0x42]))  # SPS
    stap_a = bytes([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE])
    assert is_h264_keyframe_start(stap_a)
    assert is_h264_keyframe_start(bytes([0x7C, 0x85, 0x00]))  # FU-A start of IDR
    assert not is_h264_keyframe_start(bytes([0x7C, 0x05, 0x00]))  # FU-A middle of IDR
    assert not is_h264_keyframe_start(bytes([0x7C, 0x81, 0x00]))  # FU-A start of P slice
    assert not is_h264_keyframe_start(bytes([0x41, 0x9A]))  # P slice
    assert not is_h264_keyframe_start(bytes([0x78, 0x00, 0x09, 0x67]))  # truncated STAP-A


def test_detectors_by_codec() -> None:
    assert keyframe_detector("video/VP8") is is_vp8_keyframe_start
    assert keyframe_detector("video/H264") is is_h264_keyframe_start
    assert keyframe_detector("audio/opus") is None


@given(st.binary(max_size=64))
def test_detectors_never_raise_on_arbitrary_bytes(payload: bytes) -> None:
    is_vp8_keyframe_start(payload)
    is_h264_keyframe_start(payload)
