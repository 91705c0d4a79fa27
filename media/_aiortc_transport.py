"""Raw RTP/RTCP on the wire below aiortc's DTLS transport (aiortc, aioice and pylibsrtp
private API, see aiortc_hooks): a synchronous SRTP-protect-and-send, and a cheap SRTP sink."""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Callable
from typing import Any

import pylibsrtp
from aiortc import RTCIceTransport, RTCRtpSender
from aiortc.rtcdtlstransport import State as _DtlsState

from media._aiortc_pin import PINNED_PYLIBSRTP_VERSION

_srtp_binding: Any = importlib.import_module("pylibsrtp._binding")  # cffi: no type stubs


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
