"""The recorder's short receive path: SRTP media handled in the socket callback.

aiortc hands every datagram through aioice's queue to the DTLS transport's receive task (a task
wake-up and one more event-loop turn per packet), decrypts it, and then its receiver runs RTCP
statistics, NACK generation, a bitrate estimator, a depayloader and a jitter buffer, only for the
recorder's replaced decoder queue to drop the frame. The recorder reorders and assembles frames
itself (recordings/jitter.py), so on its connection:

- ``tap_receiver`` replaces a receiver's RTP handling with a synchronous one that keeps what the
  publisher side relies on (RTCP statistics for receiver reports, RTX unwrapping, NACKs from
  aiortc's own NACK generator) and skips aiortc's jitter buffer, depayloader and receive-side
  bitrate estimator (the SFU keeps a subscriber's REMB as a statistic only). Keyframe requests
  (PLI) stay the recorder's: its jitter buffer knows when a frame is lost.
- ``receive_in_callback`` makes the sockets of a connected DTLS transport decrypt, parse and
  route SRTP media inside ``datagram_received``. STUN, DTLS and SRTCP take aiortc's normal path.
  Once media flows, a socket is no longer watched by the event loop but read until empty every
  20–60 ms (``POLL_SECONDS`` on average): the recorder wakes about 25 times a second instead of
  for (nearly) every packet, and handles packets in batches. Recording needs no low latency: the
  jitter buffer waits up to 250 ms for a missing packet, and a NACK, its retransmission and
  STUN answers are at most one read interval late each.

aiortc private API, recorder-only, pinned through ``media.aiortc_hooks`` (importing it checks the
aiortc version); tests/unit/recordings/test_direct_receive.py fails when these internals change.
aiortc's getStats misses the DTLS receive counters and receiver's active SSRCs of these packets.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import random
import socket
import struct
from collections.abc import Callable, Coroutine
from typing import Any

import pylibsrtp
from aiortc import RTCDtlsTransport, RTCRtpReceiver
from aiortc.clock import current_ms
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket

from media import aiortc_hooks as hooks

log = logging.getLogger(__name__)

RECEIVER_REMOTE_STREAMS = "_RTCRtpReceiver__remote_streams"
RECEIVER_NACK_GENERATOR = "_RTCRtpReceiver__nack_generator"
TAP_MARK = "_sabaq_direct_rtp"
PROTOCOL_MARK = "_sabaq_direct_srtp"
POLL_SECONDS = 0.04  # how often, on average, a socket carrying media is read
POLL_BATCH = 512  # datagrams per read at most, then the loop gets a turn
MAX_DATAGRAM = 65535

_srtp_binding: Any = importlib.import_module("pylibsrtp._binding")  # cffi: no type stubs
_HEADER = struct.Struct("!BBHII")


class RtpHeader:
    """What the recorder needs of an RTP packet (aiortc's ``RtpPacket`` minus header
    extensions, CSRCs and padding, which cost more to parse than the rest of the path)."""

    __slots__ = ("marker", "payload", "payload_type", "sequence_number", "ssrc", "timestamp")

    def __init__(
        self,
        payload_type: int,
        marker: int,
        sequence_number: int,
        timestamp: int,
        ssrc: int,
        payload: bytes,
    ) -> None:
        self.payload_type = payload_type
        self.marker = marker
        self.sequence_number = sequence_number
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.payload = payload

    @classmethod
    def parse(cls, data: bytes | memoryview) -> RtpHeader:
        """ValueError for anything that is not a well-formed RTP packet (as aiortc's parser)."""
        size = len(data)
        if size < 12:
            raise ValueError("RTP packet shorter than its header")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise ValueError("RTP packet has invalid version")
        start = 12 + 4 * (first & 0x0F)
        if first & 0x10:
            if size < start + 4:
                raise ValueError("RTP packet has truncated extension profile / length")
            start += 4 + 4 * int.from_bytes(data[start + 2 : start + 4], "big")
        end = size - (data[-1] if first & 0x20 else 0)
        if start > size or end < start or (first & 0x20 and not data[-1]):
            raise ValueError("RTP packet is truncated or its padding is invalid")
        payload = bytes(data[start:end])
        return cls(second & 0x7F, second >> 7, sequence, timestamp, ssrc, payload)

    @classmethod
    def of(cls, packet: RtpPacket) -> RtpHeader:
        return cls(
            packet.payload_type,
            packet.marker,
            packet.sequence_number,
            packet.timestamp,
            packet.ssrc,
            packet.payload,
        )


DirectHandler = Callable[[RtpHeader], None]

_tasks: set[asyncio.Task[None]] = set()  # RTCP sends in flight (the loop keeps weak references)


def spawn(coroutine: Coroutine[Any, Any, None]) -> None:
    """Runs ``coroutine`` as a task kept alive until it finishes (fire and forget)."""
    task = asyncio.ensure_future(coroutine)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def tap_receiver(receiver: RTCRtpReceiver, on_rtp: DirectHandler) -> bool:
    """Every RTP packet of ``receiver`` (RTX unwrapped) goes to ``on_rtp``, synchronously, after
    RTCP statistics and NACK generation; aiortc's jitter buffer and decoder never run. Must be
    called before ``receive()``; False when the receiver was already tapped."""
    if getattr(receiver, TAP_MARK, None) is not None:
        return False
    if getattr(receiver, hooks.RECEIVER_STARTED):
        raise hooks.HookError("receiver already started: taps must be installed before receive()")
    setattr(receiver, hooks.RECEIVER_DECODER_QUEUE, hooks.NullDecoderQueue())
    codecs = getattr(receiver, hooks.RECEIVER_CODECS)  # filled in place by receive()
    streams: dict[int, StreamStatistics] = getattr(receiver, RECEIVER_REMOTE_STREAMS)

    rtx_types: dict[int, bool] = {}
    nack = getattr(receiver, RECEIVER_NACK_GENERATOR)  # made with the receiver, never replaced

    def handle(packet: RtpHeader) -> None:
        if not receiver._enabled:
            return
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stats.add(packet)  # type: ignore[arg-type]  # reads sequence_number and timestamp
        rtx = rtx_types.get(packet.payload_type)
        if rtx is None:
            rtx = rtx_types[packet.payload_type] = codec.mimeType.lower() == "video/rtx"
        if rtx:
            full = RtpPacket(
                packet.payload_type,
                packet.marker,
                packet.sequence_number,
                packet.timestamp,
                packet.ssrc,
                packet.payload,
            )
            original = hooks.unwrap_if_rtx(receiver, full)
            if original is None:
                return
            packet = RtpHeader.of(original)
        if nack is not None and nack.add(packet):
            spawn(receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing)))
        try:
            on_rtp(packet)
        except Exception:
            log.exception("recorder RTP handler failed")

    async def handle_rtp(packet: RtpPacket, arrival_time_ms: int) -> None:
        handle(
            RtpHeader.of(packet)
        )  # packets that took aiortc's path (before the sockets were tapped)

    setattr(receiver, "_handle_rtp_packet", handle_rtp)  # noqa: B010
    setattr(receiver, TAP_MARK, handle)
    return True


def receive_in_callback(dtls: RTCDtlsTransport) -> int:
    """Decrypt, parse and route SRTP media arriving on ``dtls``'s sockets (those gathered so
    far: call after ``setLocalDescription``) in the socket callback, straight into the handlers
    of receivers tapped with ``tap_receiver``. Returns how many sockets were newly hooked."""
    hooked = 0
    for protocol in dtls.transport._connection._protocols:
        if not getattr(protocol, PROTOCOL_MARK, False):
            _hook_protocol(dtls, protocol)
            hooked += 1
    return hooked


def _hook_protocol(dtls: RTCDtlsTransport, protocol: Any) -> None:
    original = protocol.datagram_received
    poller: SocketPoller | None = None
    unprotect = _Unprotector()

    def received(data: bytes, addr: tuple[Any, ...]) -> None:
        nonlocal poller
        if not (127 < data[0] < 192 and not 192 <= data[1] <= 223) or dtls._rx_srtp is None:
            original(data, addr)  # STUN, DTLS, SRTCP, or media before DTLS is up
            return
        if poller is None:  # media flows, so DTLS is done: poll the socket from now on
            poller = SocketPoller(protocol.transport, received)
            dtls.on("statechange", _closer(dtls, poller))
        try:
            _receive_srtp(dtls, unprotect(dtls._rx_srtp, data))
        except Exception:
            log.exception("direct SRTP receive failed")

    setattr(protocol, "datagram_received", received)  # noqa: B010
    setattr(protocol, PROTOCOL_MARK, True)


def _closer(dtls: RTCDtlsTransport, poller: SocketPoller) -> Callable[[], None]:
    def closed() -> None:
        if dtls.state in ("closed", "failed"):
            poller.close()

    return closed


class _Unprotector:
    """``session.unprotect`` minus pylibsrtp's per-call wrapper work (a length cell allocated,
    the result copied out): decrypts in the session's own buffer and returns a view of it, valid
    until the next call; None when the packet fails authentication. pylibsrtp internals, so only
    for the version media.aiortc_hooks pins; any other gets pylibsrtp's public method."""

    def __init__(self) -> None:
        self._session: Any = None
        self._call: Callable[[bytes], bytes | memoryview | None] = lambda data: None

    def __call__(self, session: Any, data: bytes) -> bytes | memoryview | None:
        if session is not self._session:
            self._session, self._call = session, _unprotect_with(session)
        return self._call(data)


def _unprotect_with(session: Any) -> Callable[[bytes], bytes | memoryview | None]:
    if pylibsrtp.__version__ != hooks.PINNED_PYLIBSRTP_VERSION:

        def public(data: bytes) -> bytes | None:
            try:
                return session.unprotect(data)  # type: ignore[no-any-return]
            except (pylibsrtp.Error, ValueError):
                return None

        return public
    func = _srtp_binding.lib.srtp_unprotect
    srtp, cdata, view = session._srtp[0], session._cdata, memoryview(session._buffer)
    limit, length = len(view), _srtp_binding.ffi.new("int *")

    def unprotect(data: bytes) -> memoryview | None:
        size = len(data)
        if size > limit:
            return None
        view[:size] = data
        length[0] = size
        if func(srtp, cdata, length):
            return None
        return view[: length[0]]

    return unprotect


def _receive_srtp(dtls: RTCDtlsTransport, clear: bytes | memoryview | None) -> None:
    if clear is None:
        return  # like aiortc: a packet that fails authentication is dropped
    try:
        packet = RtpHeader.parse(clear)
    except ValueError:
        return
    receiver = dtls._rtp_router.route_rtp(packet)  # type: ignore[arg-type]
    if receiver is None:
        return
    handle: DirectHandler | None = getattr(receiver, TAP_MARK, None)
    if handle is not None:
        handle(packet)
    else:
        try:  # not the recorder's: aiortc's own handling, with header extensions
            full = RtpPacket.parse(bytes(clear), dtls._rtp_header_extensions_map)
        except ValueError:
            return
        spawn(receiver._handle_rtp_packet(full, arrival_time_ms=current_ms()))


class SocketPoller:
    """Reads a datagram transport's socket every ``POLL_SECONDS`` instead of on every datagram.

    The transport stops reading (``pause_reading``); a duplicate of its socket is drained on a
    timer into ``deliver`` (the protocol's ``datagram_received``) until the transport closes."""

    def __init__(self, transport: Any, deliver: Callable[[bytes, Any], None]) -> None:
        self._transport = transport
        self._deliver = deliver
        self._socket = socket.socket(fileno=os.dup(transport.get_extra_info("socket").fileno()))
        self._socket.setblocking(False)
        self._buffer = bytearray(MAX_DATAGRAM)
        self._loop = asyncio.get_running_loop()
        transport.pause_reading()
        self._timer: asyncio.Handle = self._loop.call_later(_poll_interval(), self.poll)

    def close(self) -> None:
        """Stop polling and close the duplicate socket (the transport closes its own)."""
        self._timer.cancel()
        self._socket.close()

    def poll(self) -> None:
        """Deliver every datagram waiting on the socket, then come back later."""
        if self._transport.is_closing() or self._socket.fileno() < 0:
            self.close()
            return
        view, receive, deliver = memoryview(self._buffer), self._socket.recvfrom_into, self._deliver
        for _ in range(POLL_BATCH):
            try:
                size, addr = receive(self._buffer)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # e.g. an ICMP error for an earlier send: not fatal for UDP
                log.debug("recorder socket: %s", exc)
                continue
            try:
                deliver(bytes(view[:size]), addr)
            except Exception:
                log.exception("recorder datagram handling failed")
        else:
            self._timer = self._loop.call_soon(self.poll)  # more waits: read on after a turn
            return
        self._timer = self._loop.call_later(_poll_interval(), self.poll)


def _poll_interval() -> float:
    """``POLL_SECONDS`` give or take half: the recorder takes a packet's arrival time when it
    reads it, and a fixed period would lock in phase with a 20 ms audio (or 33 ms video) packet
    rate, so one track would always be read late and the other early, skewing the session clock
    (which keeps the smallest transit seen). Random read times spread the phases."""
    return POLL_SECONDS * (0.5 + random.random())
