"""Every reach into aiortc's (and aioice's) private API, pinned to one aiortc version.

The SFU forwards RTP below aiortc's track API. That needs a handful of private attributes and
methods; they all live here so that an aiortc upgrade breaks one module, loudly, and the tests in
tests/unit/media/test_aiortc_hooks.py say which hook broke.

Hooks are installed per object (instance attributes), never by patching aiortc classes, so
client-side peer connections in the same process keep aiortc's normal behaviour.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import queue
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aioice.ice
import aiortc
import pylibsrtp
from aiortc import (
    MediaStreamTrack,
    RTCIceTransport,
    RTCRtpReceiver,
    RTCRtpSender,
)
from aiortc import sdp as _sdp
from aiortc.rtcdtlstransport import State as _DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    HeaderExtensions,
    HeaderExtensionsMap,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
    unwrap_rtx,
)

PINNED_AIORTC_VERSION = "1.16.0"
PINNED_PYLIBSRTP_VERSION = "1.0.0"  # `_protector` only; other versions use the public API
_srtp_binding: Any = importlib.import_module("pylibsrtp._binding")  # cffi: no type stubs


class AiortcVersionError(RuntimeError):
    """The installed aiortc is not the version whose private API these hooks were written for."""


class HookError(RuntimeError):
    """A hook could not be installed (wrong state or aiortc internals changed)."""


if aiortc.__version__ != PINNED_AIORTC_VERSION:
    raise AiortcVersionError(
        f"media.aiortc_hooks is pinned to aiortc {PINNED_AIORTC_VERSION}, "
        f"found {aiortc.__version__}: re-check every hook in media/aiortc_hooks.py "
        "(run tests/unit/media/test_aiortc_hooks.py) before changing the pin"
    )

__all__ = [
    "RTCP_PSFB_APP",
    "RTCP_PSFB_FIR",
    "RTCP_PSFB_PLI",
    "RTCP_RTPFB_NACK",
    "AnyRtcpPacket",
    "HeaderExtensions",
    "HeaderExtensionsMap",
    "RtcpPsfbPacket",
    "RtcpReceiverInfo",
    "RtcpRrPacket",
    "RtcpRtpfbPacket",
    "RtcpSenderInfo",
    "RtcpSrPacket",
    "RtpPacket",
    "pack_remb_fci",
    "parse_rtcp",
    "unpack_remb_fci",
]

logger = logging.getLogger(__name__)

# Private names used below, listed for the hook tests.
RECEIVER_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
RECEIVER_DECODER_THREAD = "_RTCRtpReceiver__decoder_thread"
RECEIVER_STARTED = "_RTCRtpReceiver__started"
RECEIVER_CODECS = "_RTCRtpReceiver__codecs"
RECEIVER_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
SENDER_ENCODER = "_RTCRtpSender__encoder"
HOOKED_MARK = "_sabaq_hooked"

RtpHandler = Callable[[RtpPacket], Awaitable[None]]
RtcpHandler = Callable[[AnyRtcpPacket], Awaitable[None]]


# --- SDP parsing (aiortc.sdp is not part of aiortc's public API) -----------------------------


SdpMediaDescription = _sdp.MediaDescription


def parse_rtcp(data: bytes) -> list[AnyRtcpPacket]:
    return RtcpPacket.parse(data)


def parse_sdp(text: str) -> _sdp.SessionDescription:
    return _sdp.SessionDescription.parse(text)


# --- publisher side: receivers ---------------------------------------------------------------


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
            forwarded = _unwrap_if_rtx(receiver, packet)
            if forwarded is not None:
                await _guarded(on_rtp(forwarded), "on_rtp")
        await original_rtp(packet, arrival_time_ms)

    async def handle_rtcp(packet: AnyRtcpPacket) -> None:
        await _guarded(on_rtcp(packet), "on_rtcp")
        await original_rtcp(packet)

    setattr(receiver, "_handle_rtp_packet", handle_rtp)  # noqa: B010
    setattr(receiver, "_handle_rtcp_packet", handle_rtcp)  # noqa: B010
    setattr(receiver, HOOKED_MARK, True)
    return True


def _unwrap_if_rtx(receiver: RTCRtpReceiver, packet: RtpPacket) -> RtpPacket | None:
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


async def _guarded(awaitable: Awaitable[None], what: str) -> None:
    """Bad bytes or a bug in one callback must never kill aiortc's receive loop."""
    try:
        await awaitable
    except Exception:
        logger.exception("media hook %s failed", what)


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


# --- subscriber side: senders and transports ---------------------------------------------------


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
        await _guarded(on_rtcp(packet), "sender on_rtcp")
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


def raw_sender(sender: RTCRtpSender) -> Callable[[bytes], bool]:
    """A synchronous function that SRTP/SRTCP-protects one serialized RTP or RTCP packet and
    sends it from the UDP socket of the selected ICE pair; False when not connected. It does
    what `RTCDtlsTransport._send_rtp` → aioice `Connection.sendto` → `StunProtocol.send_data`
    do, without four coroutines per packet. The route is looked up once DTLS is connected and
    kept while it stays so: bundling replaces transports only before the sender starts, and
    aioice never changes the selected pair of a completed connection. Packets go through a
    duplicate of the socket connected to the remote address (`send()` skips the per-packet
    route lookup); when it would block they go to asyncio's transport, which buffers. aiortc's
    DTLS tx counters (getStats) miss these packets."""
    dtls: Any = None
    protect: Any = None
    protect_rtcp: Any = None
    send_now: Any = None
    transport: Any = None
    addr: Any = None

    def route() -> bool:
        nonlocal dtls, protect, protect_rtcp, send_now, transport, addr
        candidate = sender.transport
        pair = candidate.transport._connection._nominated.get(1)
        if candidate._state is not _DtlsState.CONNECTED or pair is None:
            return False
        protect, protect_rtcp = _protector(candidate._tx_srtp), _protector(candidate._tx_srtp, True)
        transport, addr = pair.protocol.transport, pair.remote_addr
        send_now = _connected_send(transport, addr, candidate)
        dtls = candidate
        return True

    def send(data: bytes) -> bool:
        if (dtls is None or dtls._state is not _DtlsState.CONNECTED) and not route():
            return False
        protected = protect_rtcp(data) if 192 <= data[1] <= 208 else protect(data)
        try:
            send_now(protected)
        except (BlockingIOError, InterruptedError):
            transport.sendto(bytes(protected), addr)
        return True

    return send


def _protector(session: Any, rtcp: bool = False) -> Callable[[bytes], bytes | memoryview]:
    """`session.protect` (or `protect_rtcp`) minus pylibsrtp's per-call wrapper work (a length
    cell allocated, the result copied out): protects in the session's own buffer and returns a
    view of it, valid until the next call on the session. pylibsrtp internals, so only for the
    version this was written against; any other gets pylibsrtp's public methods."""
    if pylibsrtp.__version__ != PINNED_PYLIBSRTP_VERSION:
        return session.protect_rtcp if rtcp else session.protect  # type: ignore[no-any-return]
    func = _srtp_binding.lib.srtp_protect_rtcp if rtcp else _srtp_binding.lib.srtp_protect
    trailer = pylibsrtp.SRTP_MAX_SRTCP_TRAILER_LEN if rtcp else pylibsrtp.SRTP_MAX_TRAILER_LEN
    srtp, cdata, view = session._srtp[0], session._cdata, memoryview(session._buffer)
    limit, length = len(view) - trailer, _srtp_binding.ffi.new("int *")

    def protect(data: bytes) -> memoryview:
        size = len(data)
        if size > limit:
            raise ValueError("packet is too long")
        view[:size] = data
        length[0] = size
        error = func(srtp, cdata, length)
        if error:
            raise pylibsrtp.Error(pylibsrtp.ERRORS[error])
        return view[: length[0]]

    return protect


def _connected_send(transport: Any, addr: tuple[str, int], dtls: Any) -> Callable[[bytes], int]:
    """`send` of a duplicate of the datagram transport's socket, connected to `addr` (the
    socket then only accepts datagrams from `addr`: after ICE completes that is the only peer);
    closed when the DTLS transport closes or fails."""
    sock = socket.socket(fileno=os.dup(transport.get_extra_info("socket").fileno()))
    sock.setblocking(False)
    sock.connect(addr)

    def closed() -> None:
        if dtls._state in (_DtlsState.CLOSED, _DtlsState.FAILED):
            sock.close()

    dtls.on("statechange", closed)
    return sock.send


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


def drop_srtp_datagrams(ice_transport: RTCIceTransport, on_rtp: Callable[[bytes], None]) -> int:
    """For load-generation sinks only: SRTP media reaching the sockets gathered so far (call
    after `setLocalDescription`) is shown to `on_rtp` (the RTP header is in the clear) and
    dropped in `datagram_received`, before aioice's STUN parsing and the DTLS receive loop;
    STUN, DTLS and SRTCP go on, so the connection stays alive cheaply. Returns sockets hooked."""
    protocols = ice_transport._connection._protocols
    for protocol in protocols:
        original = protocol.datagram_received

        def received(data: bytes, addr: tuple[Any, ...], original: Any = original) -> None:
            if 127 < data[0] < 192 and not 192 <= data[1] <= 223:
                on_rtp(data)
            else:
                original(data, addr)

        setattr(protocol, "datagram_received", received)  # noqa: B010
    return len(protocols)


# --- ICE: host candidates ---------------------------------------------------------------------


_original_get_host_addresses = aioice.ice.get_host_addresses
_host_restrictions: dict[int, list[str]] = {}


def _restricted_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    chosen = list(_host_restrictions.values())[-1] if _host_restrictions else []
    return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


class HostAddressRestriction:
    """An active restriction of aioice's host candidates; `release()` (or leaving the `with`
    block) ends it. While any restriction is active, the most recent one applies."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = list(addresses)
        self._active = True
        _host_restrictions[id(self)] = self.addresses
        aioice.ice.get_host_addresses = _restricted_host_addresses

    def release(self) -> None:
        if not self._active:
            return
        self._active = False
        _host_restrictions.pop(id(self), None)
        if not _host_restrictions:
            aioice.ice.get_host_addresses = _original_get_host_addresses

    def __enter__(self) -> HostAddressRestriction:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def restrict_host_addresses(addresses: Sequence[str]) -> HostAddressRestriction:
    """Make aioice gather host candidates on exactly `addresses` (e.g. ["127.0.0.1"]).

    aioice never gathers loopback addresses on its own, so tests on one machine need this. It
    patches `aioice.ice.get_host_addresses` process-wide (every peer connection gathering while
    it is active is affected) until released; nothing happens at import time."""
    return HostAddressRestriction(addresses)
