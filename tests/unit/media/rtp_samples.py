"""Hand-built RTP payloads and packets for the media unit tests."""

from __future__ import annotations

from media.aiortc_hooks import RtpPacket


def vp8(keyframe: bool, start: bool = True, picture_id: int = 5) -> bytes:
    """VP8 payload: descriptor with X and I (7-bit picture id), then the frame tag byte."""
    first = 0x90 if start else 0x80  # X=1, S=start, PID=0
    tag = 0x10 if keyframe else 0x11  # P bit (LSB) is 0 for keyframes
    return bytes([first, 0x80, picture_id & 0x7F, tag, 0x00, 0x00]) + b"\x9d\x01\x2a" + b"v" * 20


def packet(
    seq: int, ts: int, payload: bytes = b"opus", ssrc: int = 1111, pt: int = 96, marker: int = 0
) -> RtpPacket:
    return RtpPacket(
        payload_type=pt,
        marker=marker,
        sequence_number=seq & 0xFFFF,
        timestamp=ts & 0xFFFFFFFF,
        ssrc=ssrc,
        payload=payload,
    )
