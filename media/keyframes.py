"""Does this RTP payload start a keyframe? VP8 (RFC 7741) and H.264 (RFC 6184).

Pure functions over payload bytes; malformed payloads answer False, never raise.
"""

from __future__ import annotations

from collections.abc import Callable

H264_IDR = 5
H264_SPS = 7
H264_STAP_A = 24
H264_FU_A = 28


def vp8_payload_header_offset(payload: bytes) -> int | None:
    """Offset of the VP8 payload header after the payload descriptor, or None if truncated."""
    if not payload:
        return None
    pos = 1
    if payload[0] & 0x80:  # X: extended control bits present
        if len(payload) < 2:
            return None
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: picture id
            if len(payload) <= pos:
                return None
            pos += 2 if payload[pos] & 0x80 else 1  # M: 15-bit picture id
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            pos += 1
    return pos if pos < len(payload) else None


def is_vp8_keyframe_start(payload: bytes) -> bool:
    """True for the first packet of a VP8 keyframe: S=1, partition 0, and P=0 in the frame tag."""
    if not payload:
        return False
    start_of_partition = bool(payload[0] & 0x10)
    partition_index = payload[0] & 0x07
    if not start_of_partition or partition_index != 0:
        return False
    offset = vp8_payload_header_offset(payload)
    return offset is not None and payload[offset] & 0x01 == 0


def is_h264_keyframe_start(payload: bytes) -> bool:
    """True for a packet carrying an SPS or the start of an IDR slice (single NAL, STAP-A, FU-A)."""
    if not payload:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in (H264_IDR, H264_SPS):
        return True
    if nal_type == H264_STAP_A:
        return _stap_a_has_keyframe(payload)
    if nal_type == H264_FU_A and len(payload) >= 2:
        fu_header = payload[1]
        return bool(fu_header & 0x80) and fu_header & 0x1F == H264_IDR
    return False


def _stap_a_has_keyframe(payload: bytes) -> bool:
    pos = 1
    while pos + 2 < len(payload):
        size = int.from_bytes(payload[pos : pos + 2], "big")
        pos += 2
        if size == 0 or pos + size > len(payload):
            return False
        if payload[pos] & 0x1F in (H264_IDR, H264_SPS):
            return True
        pos += size
    return False


def never_keyframe(payload: bytes) -> bool:
    return False


def keyframe_detector(mime_type: str) -> Callable[[bytes], bool] | None:
    """The detector for a codec, or None for codecs that need no gating (audio)."""
    name = mime_type.lower()
    if name == "video/vp8":
        return is_vp8_keyframe_start
    if name == "video/h264":
        return is_h264_keyframe_start
    if name.startswith("video/"):
        return never_keyframe
    return None
