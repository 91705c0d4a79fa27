"""SDP checks and limits, applied before any SDP reaches aiortc.

Each failure raises `SdpError` with a message fit to show the offending client; nothing else in
the room is affected.
"""

from __future__ import annotations

from dataclasses import dataclass

from media.aiortc_hooks import SdpMediaDescription, parse_sdp

MAX_SDP_BYTES = 64 * 1024
MAX_MEDIA_SECTIONS = 16
ALLOWED_CODECS = frozenset({"audio/opus", "video/vp8", "video/h264"})
MEDIA_KINDS = ("audio", "video", "application")


class SdpError(ValueError):
    """An SDP that is malformed, too large or offers nothing the SFU can forward."""


@dataclass(frozen=True)
class SdpLimits:
    max_bytes: int = MAX_SDP_BYTES
    max_media_sections: int = MAX_MEDIA_SECTIONS


@dataclass(frozen=True)
class MediaSection:
    index: int
    kind: str
    mid: str
    port: int
    direction: str
    codecs: tuple[str, ...]  # mime types, preferred first, allowed ones only
    parameters: tuple[dict[str, object], ...]
    ice_ufrag: str | None = None

    @property
    def sending(self) -> bool:
        """Does the remote side send media on this section (as seen in its description)?"""
        return self.port != 0 and self.direction in ("sendonly", "sendrecv")


def ice_ufrag(sections: list[MediaSection]) -> str | None:
    """The ICE username fragment of a description: a new one means a new connection."""
    return next((s.ice_ufrag for s in sections if s.ice_ufrag), None)


def check_sdp(text: object, limits: SdpLimits = SdpLimits()) -> list[MediaSection]:
    """Validate an SDP offer or answer; returns its audio/video sections."""
    if not isinstance(text, str):
        raise SdpError("SDP must be a string")
    size = len(text.encode("utf-8"))
    if size > limits.max_bytes:
        raise SdpError(f"SDP is {size} bytes, more than the limit of {limits.max_bytes}")
    if not text.startswith("v=0"):
        raise SdpError("SDP must start with v=0")
    sections = sum(1 for line in text.splitlines() if line.startswith("m="))
    if sections > limits.max_media_sections:
        raise SdpError(
            f"SDP has {sections} media sections, more than the limit of {limits.max_media_sections}"
        )
    try:
        parsed = parse_sdp(text)
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise SdpError(f"SDP does not parse ({detail})") from None
    sections_found = [_section(i, m) for i, m in enumerate(parsed.media)]
    return [s for s in sections_found if s.kind != "application"]


def _section(index: int, media: SdpMediaDescription) -> MediaSection:
    if media.kind not in MEDIA_KINDS:
        raise SdpError(f"media section {index} has unsupported kind {media.kind!r}")
    if media.kind == "application":
        return MediaSection(
            index, media.kind, media.rtp.muxId or "", media.port, "sendrecv", (), ()
        )
    allowed = [c for c in media.rtp.codecs if c.mimeType.lower() in ALLOWED_CODECS]
    if media.port != 0 and not allowed:
        offered = ", ".join(sorted({c.mimeType for c in media.rtp.codecs})) or "none"
        raise SdpError(
            f"media section {index} ({media.kind}) offers no allowed codec (opus, VP8, H264); "
            f"offered: {offered}"
        )
    if not media.rtp.muxId:
        raise SdpError(f"media section {index} ({media.kind}) has no a=mid")
    return MediaSection(
        index=index,
        kind=media.kind,
        mid=media.rtp.muxId,
        port=media.port,
        direction=media.direction or "sendrecv",
        codecs=tuple(c.mimeType for c in allowed),
        parameters=tuple(dict(c.parameters) for c in allowed),
        ice_ufrag=media.ice.usernameFragment if media.ice else None,
    )
