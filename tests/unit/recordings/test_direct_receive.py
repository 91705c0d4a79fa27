"""The recorder's short receive path (recordings/direct_receive.py) on real aiortc peers.

These fail loudly when an aiortc, aioice, pylibsrtp or asyncio change breaks the private
attributes the path relies on."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator
from typing import Any

import aioice.ice
import pylibsrtp
import pytest
from aiortc import RTCConfiguration, RTCDtlsTransport, RTCPeerConnection, RTCRtpReceiver
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, wrap_rtx

from media import aiortc_hooks as hooks
from recordings import direct_receive as direct
from recordings.direct_receive import RtpHeader


def test_private_callables_keep_their_signatures() -> None:
    expected = {
        RTCRtpReceiver._handle_rtp_packet: ["self", "packet", "arrival_time_ms"],
        RTCRtpReceiver._send_rtcp_nack: ["self", "media_ssrc", "lost"],
        StreamStatistics.add: ["self", "packet"],
        NackGenerator.add: ["self", "packet"],
        aioice.ice.StunProtocol.datagram_received: ["self", "data", "addr"],
    }
    for func, names in expected.items():
        assert list(inspect.signature(func).parameters) == names, func


async def test_private_attributes_exist_on_real_objects() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        receiver = pc.addTransceiver("video").receiver
        assert getattr(receiver, direct.RECEIVER_REMOTE_STREAMS) == {}
        assert isinstance(getattr(receiver, direct.RECEIVER_NACK_GENERATOR), NackGenerator)
        # the tap keeps the generator it finds: nothing after __init__ may replace it
        for method in (RTCRtpReceiver.receive, RTCRtpReceiver._handle_rtp_packet):
            assert "__nack_generator =" not in inspect.getsource(method)
        assert receiver._enabled is True
        dtls = receiver.transport
        assert isinstance(dtls, RTCDtlsTransport)
        assert dtls._rx_srtp is None  # until DTLS completes
        assert isinstance(dtls._rtp_header_extensions_map, HeaderExtensionsMap)
        assert callable(dtls._rtp_router.route_rtp)
        assert dtls.transport._connection._protocols == []
    finally:
        await pc.close()


def _sessions() -> tuple[pylibsrtp.Session, pylibsrtp.Session]:
    key = os.urandom(30)
    out = pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    into = pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND)
    return pylibsrtp.Session(out), pylibsrtp.Session(into)


def test_unprotect_matches_pylibsrtp_and_drops_forgeries() -> None:
    assert pylibsrtp.__version__ == hooks.PINNED_PYLIBSRTP_VERSION  # else the public path runs
    tx, rx = _sessions()
    for attr in ("_srtp", "_cdata", "_buffer"):
        assert hasattr(rx, attr), attr
    unprotect = direct._Unprotector()
    for seq in range(3):
        packet = RtpPacket(payload_type=96, sequence_number=seq, ssrc=5, payload=bytes([seq]) * 50)
        clear = unprotect(rx, tx.protect(packet.serialize()))
        assert clear is not None and bytes(clear) == packet.serialize()
    forged = bytearray(tx.protect(RtpPacket(sequence_number=9, ssrc=5).serialize()))
    forged[-1] ^= 1
    assert unprotect(rx, bytes(forged)) is None
    assert unprotect(rx, bytes(70000)) is None  # longer than any datagram: refused


def test_header_parse_agrees_with_aiortc() -> None:
    extensions = HeaderExtensionsMap()
    packet = RtpPacket(payload_type=111, marker=1, sequence_number=65535, timestamp=2**32 - 1)
    packet.ssrc, packet.csrc, packet.payload = 77, [1, 2], b"payload bytes"
    packet.extensions.mid = "3"
    packet.padding_size = 4
    for data in (
        packet.serialize(extensions),
        RtpPacket(payload_type=96, sequence_number=1, payload=b"x").serialize(),
    ):
        ours, theirs = RtpHeader.parse(data), RtpPacket.parse(data, extensions)
        for name in RtpHeader.__slots__:
            assert getattr(ours, name) == getattr(theirs, name), name
        assert RtpHeader.parse(memoryview(data)).payload == theirs.payload


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(11), "shorter than its header"),
        (bytes([0x40]) + bytes(11), "invalid version"),
        (bytes([0x90]) + bytes(11), "truncated extension"),
        (bytes([0x90]) + bytes(13) + b"\x00\x05", "truncated"),
        (bytes([0xA0]) + bytes(11) + b"ab\x00", "padding is invalid"),
        (bytes([0xA0]) + bytes(11) + b"ab\x09", "padding is invalid"),
        (bytes([0x81]) + bytes(11), "truncated"),  # one CSRC announced, none there
    ],
)
def test_header_parse_rejects_malformed_packets(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RtpHeader.parse(data)


class _Pair:
    """A (sendonly placeholder, hooked sender) → B (tapped receiver, media read in callback)."""

    def __init__(self) -> None:
        self.a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.got: list[RtpHeader] = []
        self.rtcp: list[hooks.AnyRtcpPacket] = []
        self.ready: list[hooks.SenderParameters] = []

    async def connect(self) -> None:
        sender = self.a.addTransceiver(
            hooks.PlaceholderTrack("video", "t"), direction="sendonly"
        ).sender

        async def on_rtcp(packet: hooks.AnyRtcpPacket) -> None:
            self.rtcp.append(packet)

        hooks.hook_sender(sender, self.ready.append, on_rtcp)
        self.rtx_ssrc: int = sender._rtx_ssrc
        self.send = hooks.raw_sender(sender)
        await self.a.setLocalDescription(await self.a.createOffer())
        await self.b.setRemoteDescription(self.a.localDescription)
        self.receiver = self.b.getTransceivers()[0].receiver
        assert direct.tap_receiver(self.receiver, self.got.append) is True
        assert direct.tap_receiver(self.receiver, self.got.append) is False
        await self.b.setLocalDescription(await self.b.createAnswer())
        assert direct.receive_in_callback(self.receiver.transport) == 1
        assert direct.receive_in_callback(self.receiver.transport) == 0  # already hooked
        await self.a.setRemoteDescription(self.b.localDescription)
        for _ in range(500):
            if self.ready and self.a.connectionState == self.b.connectionState == "connected":
                break
            await asyncio.sleep(0.01)
        assert self.ready and self.b.connectionState == "connected"

    def rtp(self, seq: int, marker: int = 0, rtx_seq: int | None = None) -> None:
        params = self.ready[0]
        packet = RtpPacket(
            payload_type=params.payload_type,
            marker=marker,
            sequence_number=seq,
            timestamp=seq * 100,
            ssrc=params.ssrc,
            payload=b"\x10" + bytes([seq % 256]) * 20,
        )
        if rtx_seq is not None:  # a retransmission, as the SFU sends one after a NACK
            codecs = hooks.receiver_codecs(self.receiver).values()
            [rtx_type] = [
                c.payloadType
                for c in codecs
                if c.mimeType.lower() == "video/rtx"
                and c.parameters.get("apt") == params.payload_type
            ]
            assert rtx_type is not None
            packet = wrap_rtx(packet, rtx_type, rtx_seq, self.rtx_ssrc)
        assert self.send(packet.serialize(params.extensions)) is True

    async def close(self) -> None:
        await self.a.close()
        await self.b.close()


@pytest.fixture
async def pair() -> AsyncIterator[_Pair]:
    with hooks.restrict_host_addresses(["127.0.0.1"]):
        connected = _Pair()
        try:
            await connected.connect()
            yield connected
        finally:
            await connected.close()


async def _until(predicate: Any, timeout: float = 3.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_media_reaches_the_tap_with_statistics_and_the_socket_is_polled(
    pair: _Pair,
) -> None:
    for seq in (1, 2, 3):
        pair.rtp(seq, marker=1)
    await _until(lambda: len(pair.got) == 3)
    assert [(p.sequence_number, p.timestamp, p.marker) for p in pair.got] == [
        (1, 100, 1),
        (2, 200, 1),
        (3, 300, 1),
    ]
    assert pair.got[0].payload == b"\x10" + b"\x01" * 20
    streams = getattr(pair.receiver, direct.RECEIVER_REMOTE_STREAMS)
    assert streams[pair.ready[0].ssrc].packets_received == 3  # receiver reports count them
    protocol = pair.receiver.transport.transport._connection._protocols[0]
    assert protocol.transport.is_reading() is False  # read on a timer now, not per datagram
    pair.rtp(4)
    await _until(lambda: len(pair.got) == 4)


async def test_a_gap_is_nacked_through_aiortcs_generator(pair: _Pair) -> None:
    for seq in (10, 11, 14):
        pair.rtp(seq)
    await _until(lambda: len(pair.got) == 3)

    def nacked() -> list[hooks.RtcpRtpfbPacket]:
        return [
            p
            for p in pair.rtcp
            if isinstance(p, hooks.RtcpRtpfbPacket) and p.fmt == hooks.RTCP_RTPFB_NACK
        ]

    await _until(lambda: bool(nacked()))
    assert nacked()[0].lost == [12, 13]
    assert nacked()[0].media_ssrc == pair.ready[0].ssrc


async def test_a_retransmission_is_unwrapped_and_fills_the_gap(pair: _Pair) -> None:
    pair.rtp(20)
    pair.rtp(22)
    await _until(lambda: len(pair.got) == 2)
    pair.rtp(21, rtx_seq=500)
    await _until(lambda: len(pair.got) == 3)
    resent = pair.got[2]
    assert (resent.sequence_number, resent.timestamp, resent.ssrc) == (21, 2100, pair.ready[0].ssrc)
    assert resent.payload == b"\x10" + bytes([21]) * 20
    assert resent.payload_type == pair.ready[0].payload_type
    streams = getattr(pair.receiver, direct.RECEIVER_REMOTE_STREAMS)
    assert pair.rtx_ssrc in streams  # receiver reports cover the RTX stream too, as aiortc's
