"""Publisher side: hooks on aiortc receivers and transceivers (private API, see aiortc_hooks)."""

from __future__ import annotations

import queue
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import AnyRtcpPacket, RtpPacket, unwrap_rtx

from media._aiortc_pin import HOOKED_MARK, HookError, RtcpHandler, RtpHandler, guarded

# Private names used below, listed for the hook tests.
RECEIVER_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
RECEIVER_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
RECEIVER_STARTED = "_RTCRtpReceiver__started"
RECEIVER_CODECS = "_RTCRtpReceiver__codecs"
RECEIVER_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"


class NullDecoderQueue(queue.Queue[Any]):
    """Replaces a receiver's decoder queue: nothing is ever decoded.

    `get` returns None at once, so the decoder thread aiortc starts in `receive()` ends before it
    creates a decoder; `put` drops the encoded frames the jitter buffer assembles, so nothing
    queues without bound.
    """

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is not None:
            self.dropped += 1

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        return None


def hook_receiver(receiver: RTCRtpReceiver, on_rtp: RtpHandler, on_rtcp: RtcpHandler) -> bool:
    """Tap a publisher-side receiver: every RTP packet (RTX unwrapped) goes to `on_rtp` before
    aiortc's own handling (which keeps receiver reports, NACK and REMB to the publisher flowing);
    every RTCP packet routed to it (sender reports, BYE) goes to `on_rtcp`. Must run before
    `receive()`. Returns False when the receiver was already hooked."""
    if getattr(receiver, HOOKED_MARK, False):
        return False
    if getattr(receiver, RECEIVER_STARTED):
        raise HookError("receiver already started: hooks must be installed before receive()")
    setattr(receiver, RECEIVER_DECODER_QUEUE, NullDecoderQueue())
    original_rtp = receiver._handle_rtp_packet
    original_rtcp = receiver._handle_rtcp_packet

    async def handle_rtp(packet: RtpPacket, arrival_time_ms: int) -> None:
        if receiver._enabled:
            forwarded = unwrap_if_rtx(receiver, packet)
            if forwarded is not None:
                await guarded(on_rtp(forwarded), "on_rtp")
        await original_rtp(packet, arrival_time_ms)

    async def handle_rtcp(packet: AnyRtcpPacket) -> None:
        await guarded(on_rtcp(packet), "on_rtcp")
        await original_rtcp(packet)

    setattr(receiver, "_handle_rtp_packet", handle_rtp)  # noqa: B010
    setattr(receiver, "_handle_rtcp_packet", handle_rtcp)  # noqa: B010
    setattr(receiver, HOOKED_MARK, True)
    return True


def unwrap_if_rtx(receiver: RTCRtpReceiver, packet: RtpPacket) -> RtpPacket | None:
    """The packet as its original stream (RTX unwrapped), itself if not RTX, None if it cannot
    be placed (unknown payload type, RTX without its original stream or too short)."""
    codecs: dict[int, RTCRtpCodecParameters] = getattr(receiver, RECEIVER_CODECS)
    codec = codecs.get(packet.payload_type)
    if codec is None:
        return None
    if codec.mimeType.lower() != "video/rtx":
        return packet
    original_ssrc = getattr(receiver, RECEIVER_RTX_SSRC).get(packet.ssrc)
    apt = codec.parameters.get("apt")
    if original_ssrc is None or not isinstance(apt, int) or len(packet.payload) < 2:
        return None
    return unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)


def receiver_codecs(receiver: RTCRtpReceiver) -> dict[int, RTCRtpCodecParameters]:
    """Payload type → codec, as negotiated (filled by `receive()`)."""
    return dict(getattr(receiver, RECEIVER_CODECS))


def decoder_queue(receiver: RTCRtpReceiver) -> queue.Queue[Any]:
    q: queue.Queue[Any] = getattr(receiver, RECEIVER_DECODER_QUEUE)
    return q


def decoder_thread_alive(receiver: RTCRtpReceiver) -> bool:
    thread = getattr(receiver, RECEIVER_DECODER_THREAD)
    return thread is not None and bool(thread.is_alive())


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Ask the publisher for a keyframe (RTCP PLI from the receiver's RTCP SSRC)."""
    await receiver._send_rtcp_pli(media_ssrc)


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    """The codecs a transceiver settled on in the last negotiation, preferred first."""
    return list(transceiver._codecs)


def has_common_codec(kind: str, offered: list[RTCRtpCodecParameters]) -> bool:
    """Would aiortc find a codec in common with these (audio or video)? Its
    setRemoteDescription raises half-way through an offer otherwise, after changing the
    m-lines before. Uses `aiortc.rtcpeerconnection.find_common_codecs` and `aiortc.codecs.CODECS`
    (module-level, not exported)."""
    from aiortc.codecs import CODECS
    from aiortc.rtcpeerconnection import find_common_codecs

    return bool(find_common_codecs(CODECS[kind], offered))
