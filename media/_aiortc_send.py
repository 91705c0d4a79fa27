"""Subscriber side: hooks on aiortc senders whose media the SFU writes itself (private API,
see aiortc_hooks)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiortc
from aiortc import MediaStreamTrack, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import AnyRtcpPacket, HeaderExtensionsMap, RtcpRrPacket, RtcpSrPacket

from media._aiortc_pin import HOOKED_MARK, HookError, RtcpHandler, guarded
from media._aiortc_transport import raw_sender

# Private name used below, listed for the hook tests.
SENDER_ENCODER = "_RTCRtpSender__encoder"


@dataclass(frozen=True)
class SenderParameters:
    """What forwarding to one subscriber stream needs from its negotiated sender."""

    ssrc: int
    payload_type: int
    mime_type: str
    clock_rate: int
    mid: str | None
    extensions: HeaderExtensionsMap
    extensions_key: tuple[tuple[str, int], ...]


def _sender_parameters(sender: RTCRtpSender, parameters: RTCRtpSendParameters) -> SenderParameters:
    codec = parameters.codecs[0]
    if codec.payloadType is None:
        raise HookError("negotiated codec has no payload type")
    extensions = HeaderExtensionsMap()
    extensions.configure(parameters)
    return SenderParameters(
        ssrc=sender._ssrc,
        payload_type=codec.payloadType,
        mime_type=codec.mimeType,
        clock_rate=codec.clockRate,
        mid=parameters.muxId or None,
        extensions=extensions,
        extensions_key=tuple((e.uri, e.id) for e in parameters.headerExtensions),
    )


def hook_sender(
    sender: RTCRtpSender,
    on_ready: Callable[[SenderParameters], None],
    on_rtcp: RtcpHandler,
) -> Callable[[bytes], bool]:
    """Take over a subscriber-side sender whose media the SFU writes itself.

    - `send()` is wrapped: when aiortc starts the sender (first call only), `on_ready` gets its
      SSRC, payload type and header-extension ids.
    - Incoming RTCP for this sender (PLI/FIR/NACK/REMB/RR) goes to `on_rtcp`; aiortc's handler
      still sees receiver reports (for its RTT estimate) but never PLI/FIR/NACK, which it could
      not answer for forwarded media.
    - The sender's own RTCP loop keeps sending SDES and BYE, but its sender reports (packet
      count 0, NTP 0 for forwarded media) are dropped: the forwarder sends translated ones.
      What is left goes out through the sender's `raw_sender` once connected.

    Returns the sender's `raw_sender`, for the forwarded media.
    """
    raw = raw_sender(sender)
    original_send = sender.send
    original_rtcp = sender._handle_rtcp_packet
    original_send_rtcp = sender._send_rtcp

    ready = False

    async def send(parameters: RTCRtpSendParameters) -> None:
        # aiortc calls send() after every negotiation; only the first one starts the sender
        nonlocal ready
        await original_send(parameters)
        if not ready:
            ready = True
            on_ready(_sender_parameters(sender, parameters))

    async def handle_rtcp(packet: AnyRtcpPacket) -> None:
        await guarded(on_rtcp(packet), "sender on_rtcp")
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            await original_rtcp(packet)

    async def send_rtcp(packets: list[AnyRtcpPacket]) -> None:
        kept: list[AnyRtcpPacket] = [p for p in packets if not isinstance(p, RtcpSrPacket)]
        if not kept:
            return
        try:
            sent = raw(b"".join(bytes(p) for p in kept))
        except OSError:
            sent = True  # lost like any datagram; aiortc's loop must keep running
        if not sent:
            await original_send_rtcp(kept)  # not connected: aiortc's own path decides

    setattr(sender, "send", send)  # noqa: B010
    setattr(sender, "_handle_rtcp_packet", handle_rtcp)  # noqa: B010
    setattr(sender, "_send_rtcp", send_rtcp)  # noqa: B010
    setattr(sender, HOOKED_MARK, True)
    return raw


def sender_has_encoder(sender: RTCRtpSender) -> bool:
    return getattr(sender, SENDER_ENCODER) is not None


def sender_ssrc(sender: RTCRtpSender) -> int:
    return sender._ssrc


def set_sender_stream_id(sender: RTCRtpSender, stream_id: str) -> None:
    """The msid stream id in the SDP: receivers lip-sync tracks of one stream."""
    sender._stream_id = stream_id


class PlaceholderTrack(MediaStreamTrack):
    """The track behind a forwarding sender: never yields a frame, so aiortc never encodes.

    aiortc's sender awaits `recv()` forever (no polling, no encoder) while the SFU writes RTP to
    the sender's transport directly."""

    def __init__(self, kind: str, track_id: str) -> None:
        super().__init__()
        self.kind = kind
        self._id = track_id
        self._never: asyncio.Future[None] | None = None

    async def recv(self) -> Any:
        if self._never is None:
            self._never = asyncio.get_running_loop().create_future()
        await self._never
        raise aiortc.MediaStreamError
