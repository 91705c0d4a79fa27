"""SDP checks and limits, applied before any SDP reaches aiortc.

Each failure raises `SdpError` with a message fit to show the offending client; nothing else in
the room is affected.
"""

from __future__ import annotations

from dataclasses import dataclass

from media.aiortc_hooks import SdpMediaDescription, has_common_codec, parse_sdp

MAX_SDP_BYTES = 64 * 1024
MAX_MEDIA_SECTIONS = 16
# An answer on a subscription connection has one section per stream offered: room for each (aiortc
# answers take about 1.1 KB per section, browsers less).
ANSWER_BYTES_PER_SECTION = 3 * 1024
ALLOWED_CODECS = frozenset({"audio/opus", "video/vp8", "video/h264"})
MEDIA_KINDS = ("audio", "video", "application")


class SdpError(ValueError):
    """An SDP that is malformed, too large or offers nothing the SFU can forward."""


@dataclass(frozen=True)
class SdpLimits:
    """Limits on what a client offers; `for_answer` gives those of an answer to our offer."""

    max_bytes: int = MAX_SDP_BYTES
    max_media_sections: int = MAX_MEDIA_SECTIONS

    def for_answer(self, offered_sections: int) -> SdpLimits:
        """An answer may have as many sections as the offer it answers, and room for them."""
        room = max(self.max_bytes, ANSWER_BYTES_PER_SECTION * offered_sections)
        return SdpLimits(max_bytes=room, max_media_sections=offered_sections)


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
    mids = [s.mid for s in sections_found if s.mid]
    if len(set(mids)) != len(mids):
        twice = sorted({mid for mid in mids if mids.count(mid) > 1})
        raise SdpError(f"SDP uses a=mid:{twice[0]} for more than one media section")
    return [s for s in sections_found if s.kind != "application"]


def check_renegotiation(before: list[MediaSection], after: list[MediaSection]) -> None:
    """A new offer on an existing connection keeps every media section it had, in the same
    place and of the same kind (JSEP never removes m-lines; stopping one sets it inactive)."""
    now = {s.mid: s for s in after}
    for old in before:
        new = now.get(old.mid)
        if new is None:
            raise SdpError(
                f"renegotiation drops media section {old.index} (mid {old.mid}); keep it and "
                "set it inactive, or build a new connection"
            )
        if (new.index, new.kind) != (old.index, old.kind):
            raise SdpError(
                f"renegotiation moves mid {old.mid} from section {old.index} ({old.kind}) to "
                f"section {new.index} ({new.kind}); build a new connection for that"
            )


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
    if not (media.ice and media.ice.usernameFragment and media.ice.password):
        raise SdpError(f"media section {index} ({media.kind}) has no a=ice-ufrag and a=ice-pwd")
    if not media.rtcp_mux:
        raise SdpError(f"media section {index} ({media.kind}) has no a=rtcp-mux")
    if not has_common_codec(media.kind, media.rtp.codecs):
        raise SdpError(
            f"media section {index} ({media.kind}) offers no codec the server can receive "
            "(check the codec parameters)"
        )
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
