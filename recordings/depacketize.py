"""RTP payloads to encoded frames: VP8 (RFC 7741), H.264 (RFC 6184, Annex B out) and Opus.

Only the payload formats are parsed here; nothing is decoded. Each depacketizer answers two
questions the jitter buffer needs after a loss ("may this packet start a frame?") and turns the
payloads of one complete frame into the bytes a Matroska muxer takes, saying whether the frame is
a keyframe (a segment must start with one).
"""

from __future__ import annotations

from typing import Protocol

START_CODE = b"\x00\x00\x00\x01"
H264_STAP_A = 24
H264_FU_A = 28
H264_IDR = 5


class MalformedPayload(ValueError):
    """The RTP payload does not follow its payload format."""


class Depacketizer(Protocol):
    """One codec's RTP payload format."""

    video: bool

    def starts_frame(self, payload: bytes) -> bool: ...

    def assemble(self, payloads: list[bytes]) -> tuple[bytes, bool]: ...


def vp8_descriptor_size(payload: bytes) -> int:
    """Bytes of the VP8 payload descriptor at the start of ``payload``."""
    if not payload:
        raise MalformedPayload("empty VP8 payload")
    size = 1
    if payload[0] & 0x80:
        if len(payload) < 2:
            raise MalformedPayload("VP8 descriptor truncated")
        ext = payload[1]
        size = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if len(payload) < 3:
                raise MalformedPayload("VP8 picture id truncated")
            size += 2 if payload[2] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            size += 1
        if ext & 0x30:  # T or K: TID/KEYIDX byte
            size += 1
    if size > len(payload):
        raise MalformedPayload("VP8 descriptor longer than the payload")
    return size


class Vp8:
    """VP8: a frame starts at S=1 with partition id 0; a keyframe has P=0 in its frame tag."""

    video = True

    def starts_frame(self, payload: bytes) -> bool:
        return bool(payload) and payload[0] & 0x10 != 0 and payload[0] & 0x07 == 0

    def assemble(self, payloads: list[bytes]) -> tuple[bytes, bool]:
        data = b"".join(p[vp8_descriptor_size(p) :] for p in payloads)
        if not data:
            raise MalformedPayload("VP8 frame without data")
        return data, data[0] & 0x01 == 0


def vp8_dimensions(keyframe: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (start code 9d 01 2a)."""
    if len(keyframe) < 10 or keyframe[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(keyframe[6:8], "little") & 0x3FFF
    height = int.from_bytes(keyframe[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


class H264:
    """H.264 packetization mode 0/1: single NAL units, STAP-A and FU-A; out as Annex B."""

    video = True

    def starts_frame(self, payload: bytes) -> bool:
        if not payload:
            return False
        if payload[0] & 0x1F == H264_FU_A:
            return len(payload) > 1 and payload[1] & 0x80 != 0
        return True

    def assemble(self, payloads: list[bytes]) -> tuple[bytes, bool]:
        out: list[bytes] = []
        for payload in payloads:
            _append_nals(payload, out)
        if not out:
            raise MalformedPayload("H.264 frame without NAL units")
        data = b"".join(out)
        return data, _has_idr(data)


def _append_nals(payload: bytes, out: list[bytes]) -> None:
    if not payload:
        raise MalformedPayload("empty H.264 payload")
    kind = payload[0] & 0x1F
    if 1 <= kind <= 23:
        out += (START_CODE, payload)
    elif kind == H264_STAP_A:
        offset = 1
        while offset + 2 <= len(payload):
            size = int.from_bytes(payload[offset : offset + 2], "big")
            offset += 2
            if size == 0 or offset + size > len(payload):
                raise MalformedPayload("H.264 STAP-A unit overruns the payload")
            out += (START_CODE, payload[offset : offset + size])
            offset += size
    elif kind == H264_FU_A:
        if len(payload) < 3:
            raise MalformedPayload("H.264 FU-A fragment too short")
        if payload[1] & 0x80:
            out += (START_CODE, bytes([(payload[0] & 0xE0) | (payload[1] & 0x1F)]))
        out.append(payload[2:])
    else:
        raise MalformedPayload(f"H.264 NAL unit type {kind} is not supported")


def _has_idr(annex_b: bytes) -> bool:
    return any(part and part[0] & 0x1F == H264_IDR for part in annex_b.split(START_CODE))


class Opus:
    """Opus: one packet is one frame, every frame decodes on its own."""

    video = False

    def starts_frame(self, payload: bytes) -> bool:
        return True

    def assemble(self, payloads: list[bytes]) -> tuple[bytes, bool]:
        return b"".join(payloads), True


def depacketizer_for(mime_type: str) -> Depacketizer:
    """The depacketizer for a negotiated codec; ValueError for codecs the recorder cannot keep."""
    found: dict[str, Depacketizer] = {
        "video/vp8": Vp8(),
        "video/h264": H264(),
        "audio/opus": Opus(),
    }
    try:
        return found[mime_type.lower()]
    except KeyError:
        raise ValueError(f"cannot record {mime_type}") from None
