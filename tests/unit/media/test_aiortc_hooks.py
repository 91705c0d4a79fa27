"""These fail loudly when an aiortc (or aioice) upgrade breaks one of the private hooks."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import aioice.ice
import aiortc
import aiortc.rtcrtpreceiver
import pytest
from aiortc import (
    RTCConfiguration,
    RTCDtlsTransport,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpReceiver,
    RTCRtpSender,
)
from aiortc.rtcrtpparameters import RTCRtpSendParameters

from media import aiortc_hooks as hooks

ROOT = Path(__file__).resolve().parents[3]


def test_the_pin_matches_the_installed_aiortc() -> None:
    assert hooks.PINNED_AIORTC_VERSION == aiortc.__version__ == "1.16.0"


def test_another_aiortc_version_refuses_to_import() -> None:
    code = "import aiortc; aiortc.__version__ = '1.17.0'; import media.aiortc_hooks"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "AiortcVersionError: media.aiortc_hooks is pinned to aiortc 1.16.0, found 1.17.0" in (
        result.stderr
    )


EXPECTED_SIGNATURES: dict[str, tuple[object, list[str]]] = {
    "RTCRtpReceiver._handle_rtp_packet": (
        RTCRtpReceiver._handle_rtp_packet,
        ["self", "packet", "arrival_time_ms"],
    ),
    "RTCRtpReceiver._handle_rtcp_packet": (RTCRtpReceiver._handle_rtcp_packet, ["self", "packet"]),
    "RTCRtpReceiver._send_rtcp_pli": (RTCRtpReceiver._send_rtcp_pli, ["self", "media_ssrc"]),
    "RTCRtpReceiver.receive": (RTCRtpReceiver.receive, ["self", "parameters"]),
    "RTCRtpSender.send": (RTCRtpSender.send, ["self", "parameters"]),
    "RTCRtpSender._handle_rtcp_packet": (RTCRtpSender._handle_rtcp_packet, ["self", "packet"]),
    "RTCRtpSender._send_rtcp": (RTCRtpSender._send_rtcp, ["self", "packets"]),
    "aioice StunProtocol.datagram_received": (
        aioice.ice.StunProtocol.datagram_received,
        ["self", "data", "addr"],
    ),
    "aioice DatagramTransport.sendto via StunProtocol.send_data": (
        aioice.ice.StunProtocol.send_data,
        ["self", "data", "addr"],
    ),
    "aiortc decoder_worker": (
        aiortc.rtcrtpreceiver.decoder_worker,
        ["loop", "input_q", "output_q", "decode_error"],
    ),
    "aioice.ice.get_host_addresses": (
        hooks._original_get_host_addresses,
        ["use_ipv4", "use_ipv6"],
    ),
    "aioice Connection.recv": (aioice.ice.Connection.recv, ["self"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SIGNATURES))
def test_hooked_callables_keep_their_signatures(name: str) -> None:
    func, expected = EXPECTED_SIGNATURES[name]
    assert list(inspect.signature(func).parameters) == expected  # type: ignore[arg-type]


@pytest.fixture
async def pc() -> RTCPeerConnection:
    connection = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    yield connection
    await connection.close()


async def test_private_attributes_exist_on_real_objects(pc: RTCPeerConnection) -> None:
    transceiver = pc.addTransceiver("video")
    receiver, sender = transceiver.receiver, transceiver.sender
    for name in (
        hooks.RECEIVER_DECODER_QUEUE,
        hooks.RECEIVER_DECODER_THREAD,
        hooks.RECEIVER_STARTED,
        hooks.RECEIVER_CODECS,
        hooks.RECEIVER_RTX_SSRC,
    ):
        assert hasattr(receiver, name), name
    assert hasattr(sender, hooks.SENDER_ENCODER)
    assert not hooks.sender_has_encoder(sender)
    assert isinstance(hooks.sender_ssrc(sender), int)
    assert isinstance(sender._stream_id, str)
    assert transceiver._codecs == []
    dtls = sender.transport
    assert isinstance(dtls, RTCDtlsTransport)
    assert dtls._state is hooks._DtlsState.NEW and hasattr(dtls, "_tx_srtp")
    connection = dtls.transport._connection
    assert connection._nominated == {} and connection._protocols == []
    assert callable(receiver._send_rtcp_pli)
    assert hooks.receiver_codecs(receiver) == {}


async def test_hook_receiver_replaces_the_decoder_queue_and_wraps_handlers(
    pc: RTCPeerConnection,
) -> None:
    receiver = pc.addTransceiver("video").receiver
    seen: list[object] = []

    async def on_rtp(packet: hooks.RtpPacket) -> None:
        seen.append(packet)

    async def on_rtcp(packet: hooks.AnyRtcpPacket) -> None:
        seen.append(packet)

    assert hooks.hook_receiver(receiver, on_rtp, on_rtcp) is True
    assert isinstance(hooks.decoder_queue(receiver), hooks.NullDecoderQueue)
    assert hooks.hook_receiver(receiver, on_rtp, on_rtcp) is False  # idempotent
    # an SR reaches the callback, and aiortc's own handler still runs after it
    report = hooks.RtcpSrPacket(
        ssrc=1,
        sender_info=hooks.RtcpSenderInfo(
            ntp_timestamp=1, rtp_timestamp=2, packet_count=0, octet_count=0
        ),
    )
    await receiver._handle_rtcp_packet(report)
    assert seen == [report]
    stats = await receiver.getStats()
    assert any(s.type == "remote-outbound-rtp" for s in stats.values())


async def test_hooking_a_started_receiver_is_refused(pc: RTCPeerConnection) -> None:
    receiver = pc.addTransceiver("audio").receiver
    setattr(receiver, hooks.RECEIVER_STARTED, True)

    async def ignore(packet: object) -> None:
        return None

    with pytest.raises(hooks.HookError, match="before receive"):
        hooks.hook_receiver(receiver, ignore, ignore)
    setattr(receiver, hooks.RECEIVER_STARTED, False)


async def test_aiortcs_decoder_worker_ends_at_once_on_the_null_queue() -> None:
    """The thread aiortc starts in receive() must end without creating a decoder."""
    null_queue = hooks.NullDecoderQueue()
    null_queue.put(("codec", "encoded frame"))
    assert null_queue.dropped == 1
    output: asyncio.Queue[object] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    thread = threading.Thread(
        target=aiortc.rtcrtpreceiver.decoder_worker,
        args=(loop, null_queue, output, threading.Event()),
    )
    thread.start()
    assert await asyncio.wait_for(output.get(), 5) is None
    thread.join(5)
    assert not thread.is_alive()


async def test_hook_sender_reports_parameters_once_and_filters_rtcp(
    pc: RTCPeerConnection,
) -> None:
    sender = pc.addTransceiver("video", direction="sendonly").sender
    ready: list[hooks.SenderParameters] = []
    incoming: list[object] = []
    sent_rtcp: list[list[object]] = []

    async def record_rtcp(packets: list[object]) -> None:
        sent_rtcp.append(packets)

    sender._send_rtcp = record_rtcp  # stands in for the wire, below the hook

    async def on_rtcp(packet: hooks.AnyRtcpPacket) -> None:
        incoming.append(packet)

    hooks.hook_sender(sender, ready.append, on_rtcp)
    pli = hooks.RtcpPsfbPacket(fmt=hooks.RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc)
    await sender._handle_rtcp_packet(pli)
    assert incoming == [pli]

    report = hooks.RtcpSrPacket(
        ssrc=1,
        sender_info=hooks.RtcpSenderInfo(
            ntp_timestamp=0, rtp_timestamp=0, packet_count=0, octet_count=0
        ),
    )
    receiver_report = hooks.RtcpRrPacket(ssrc=sender._ssrc, reports=[])
    await sender._send_rtcp([report, receiver_report])
    await sender._send_rtcp([report])
    assert sent_rtcp == [[receiver_report]]

    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
    mid = RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")
    parameters = RTCRtpSendParameters(codecs=[codec], headerExtensions=[mid], muxId="0")
    await sender.send(parameters)
    await sender.send(parameters)  # aiortc calls send() after every negotiation
    assert len(ready) == 1
    assert (ready[0].ssrc, ready[0].payload_type, ready[0].mid) == (sender._ssrc, 97, "0")
    assert (ready[0].mime_type, ready[0].clock_rate) == ("video/VP8", 90000)


async def test_send_raw_on_an_unconnected_transport_is_false(pc: RTCPeerConnection) -> None:
    send = hooks.raw_sender(pc.addTransceiver("audio").sender)
    assert send(b"\x80" + bytes(11)) is False


async def _connected_pair(
    on_rtp: Callable[[hooks.RtpPacket], Awaitable[None]],
    on_rtcp: Callable[[hooks.AnyRtcpPacket], Awaitable[None]],
) -> tuple[RTCPeerConnection, RTCPeerConnection, RTCRtpSender, list[hooks.SenderParameters]]:
    """A (server-like, sendonly placeholder, hooked sender) → B (hooked receiver), on loopback."""
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sender = a.addTransceiver(hooks.PlaceholderTrack("video", "t"), direction="sendonly").sender
    ready: list[hooks.SenderParameters] = []

    async def ignore(packet: hooks.AnyRtcpPacket) -> None:
        return None

    hooks.hook_sender(sender, ready.append, ignore)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    hooks.hook_receiver(b.getTransceivers()[0].receiver, on_rtp, on_rtcp)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    for _ in range(500):
        if ready and a.connectionState == b.connectionState == "connected":
            break
        await asyncio.sleep(0.01)
    assert ready and a.connectionState == "connected"
    return a, b, sender, ready


async def test_raw_sender_protects_and_sends_on_the_selected_ice_pair() -> None:
    received: list[object] = []

    async def on_packet(packet: object) -> None:
        received.append(packet)

    with hooks.restrict_host_addresses(["127.0.0.1"]):
        a, b, sender, ready = await _connected_pair(on_packet, on_packet)
        try:
            params = ready[0]
            send = hooks.raw_sender(sender)
            rtp = hooks.RtpPacket(
                payload_type=params.payload_type,
                sequence_number=7,
                timestamp=1234,
                ssrc=params.ssrc,
                payload=b"\x10" + bytes(30),  # a VP8 descriptor byte, then anything
            )
            info = hooks.RtcpSenderInfo(
                ntp_timestamp=1 << 40, rtp_timestamp=1234, packet_count=1, octet_count=31
            )
            report = hooks.RtcpSrPacket(ssrc=params.ssrc, sender_info=info)
            assert send(rtp.serialize()) is True
            assert send(bytes(report)) is True
            for _ in range(200):
                if len(received) >= 2:
                    break
                await asyncio.sleep(0.01)
            got_rtp = [p for p in received if isinstance(p, hooks.RtpPacket)]
            got_sr = [p for p in received if isinstance(p, hooks.RtcpSrPacket)]
            assert [(p.sequence_number, p.timestamp, p.payload) for p in got_rtp] == [
                (7, 1234, rtp.payload)
            ]
            assert [p.sender_info.ntp_timestamp for p in got_sr] == [1 << 40]
        finally:
            await a.close()
            await b.close()
        assert send(rtp.serialize()) is False  # closed: no route, and its socket is gone


async def test_sinks_drop_srtp_media_at_the_socket_and_stay_connected() -> None:
    decrypted: list[object] = []

    async def on_packet(packet: object) -> None:
        decrypted.append(packet)

    with hooks.restrict_host_addresses(["127.0.0.1"]):
        a, b, sender, ready = await _connected_pair(on_packet, on_packet)
        try:
            seen: list[bytes] = []
            ice = b.getTransceivers()[0].receiver.transport.transport
            assert hooks.drop_srtp_datagrams(ice, seen.append) == 1
            send = hooks.raw_sender(sender)
            for seq in range(5):
                rtp = hooks.RtpPacket(
                    payload_type=ready[0].payload_type,
                    sequence_number=seq,
                    ssrc=ready[0].ssrc,
                    payload=b"\x10" + bytes(30),
                )
                assert send(rtp.serialize())
            for _ in range(200):
                if len(seen) >= 5:
                    break
                await asyncio.sleep(0.01)
            assert [int.from_bytes(d[2:4], "big") for d in seen] == [0, 1, 2, 3, 4]
            assert not any(isinstance(p, hooks.RtpPacket) for p in decrypted)
            assert b.connectionState == "connected"
        finally:
            await a.close()
            await b.close()


async def test_placeholder_track_never_yields_a_frame() -> None:
    track = hooks.PlaceholderTrack("video", "slot-1")
    assert (track.kind, track.id) == ("video", "slot-1")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(track.recv(), 0.05)


def test_host_address_restriction_is_explicit_and_reversible() -> None:
    original = aioice.ice.get_host_addresses
    with hooks.restrict_host_addresses(["127.0.0.1", "::1"]):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1", "::1"]
    assert aioice.ice.get_host_addresses is original


def test_overlapping_restrictions_may_end_in_any_order() -> None:
    original = aioice.ice.get_host_addresses
    first = hooks.restrict_host_addresses(["127.0.0.1"])
    second = hooks.restrict_host_addresses(["127.0.0.2"])
    first.release()
    assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.2"]
    second.release()
    second.release()
    assert aioice.ice.get_host_addresses is original


def test_importing_the_hooks_patches_nothing() -> None:
    code = (
        "import aioice.ice; before = aioice.ice.get_host_addresses; import media.aiortc_hooks; "
        "assert aioice.ice.get_host_addresses is before"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
