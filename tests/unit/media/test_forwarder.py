"""Forwarding logic without sockets: rewriting, continuity, gating, PLI, NACK, sender reports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from media.aiortc_hooks import (
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
    parse_rtcp,
)
from media.downtrack import Downtrack, StreamParams
from media.forwarder import KeyframeRequester, TrackForwarder, handle_subscriber_rtcp
from tests.unit.media.rtp_samples import packet, vp8

VIDEO_SSRC, AUDIO_SSRC = 0xAAAA0001, 0xBBBB0002


@dataclass
class Clock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Upstream:
    plis: list[int] = field(default_factory=list)

    async def send_pli(self, media_ssrc: int) -> None:
        self.plis.append(media_ssrc)


@dataclass
class Wire:
    """What one subscriber receives: RTP packets and RTCP packets, parsed back."""

    rtp: list[RtpPacket] = field(default_factory=list)
    rtcp: list[object] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    def send(self, data: bytes) -> bool:
        if 192 <= data[1] <= 223:
            self.rtcp += parse_rtcp(data)
        else:
            self.rtp.append(RtpPacket.parse(data))
            self.raw.append(data)
        return True


def downtrack(wire: Wire, *, video: bool = True, seq: int = 1000, ts: int = 5000) -> Downtrack:
    params = StreamParams(
        ssrc=VIDEO_SSRC if video else AUDIO_SSRC,
        payload_type=100 if video else 111,
        clock_rate=90000 if video else 48000,
    )
    return Downtrack(params, wire.send, gated=video, initial_seq=seq, initial_ts=ts)


def video_forwarder(clock: Clock, upstream: Upstream, cache_size: int = 512) -> TrackForwarder:
    return TrackForwarder("video/VP8", upstream.send_pli, clock=clock, cache_size=cache_size)


async def test_rewrites_ssrc_payload_type_sequence_and_timestamp() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(wire))
    await forwarder.on_rtp(packet(40000, 123, vp8(True), pt=96))
    await forwarder.on_rtp(packet(40001, 123, vp8(True, start=False), pt=96, marker=1))
    await forwarder.on_rtp(packet(40002, 3123, vp8(False), pt=96))

    assert [p.sequence_number for p in wire.rtp] == [1000, 1001, 1002]
    assert [p.timestamp for p in wire.rtp] == [5001, 5001, 8001]
    assert {p.ssrc for p in wire.rtp} == {VIDEO_SSRC}
    assert {p.payload_type for p in wire.rtp} == {100}
    assert [p.marker for p in wire.rtp] == [0, 1, 0]
    assert wire.rtp[0].payload == vp8(True)


async def test_sequence_and_timestamp_wrap_around() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(wire, seq=65535, ts=0xFFFFFFFF))
    await forwarder.on_rtp(packet(7, 0, vp8(True)))
    await forwarder.on_rtp(packet(8, 3000, vp8(False)))
    assert [p.sequence_number for p in wire.rtp] == [65535, 0]
    assert [p.timestamp for p in wire.rtp] == [0, 3000]


async def test_continuity_when_the_source_behind_a_subscriber_switches() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    a, b = video_forwarder(clock, upstream), video_forwarder(clock, upstream)
    track = downtrack(wire)
    a.attach(track)
    for i in range(5):
        await a.on_rtp(packet(100 + i, 9000 + 3000 * i, vp8(i == 0), ssrc=1))

    clock.now += 0.5
    b.attach(track)
    a.detach(track)
    await a.on_rtp(packet(105, 24000, vp8(False), ssrc=1))  # old source: no longer forwarded
    await b.on_rtp(packet(60000, 777, vp8(False), ssrc=2))  # not a keyframe: gated
    await b.on_rtp(packet(60001, 3777, vp8(True), ssrc=2))
    await b.on_rtp(packet(60002, 6777, vp8(False), ssrc=2))

    seqs = [p.sequence_number for p in wire.rtp]
    assert seqs == [1000, 1001, 1002, 1003, 1004, 1005, 1006]
    last_a_ts = wire.rtp[4].timestamp
    assert wire.rtp[5].timestamp == last_a_ts + 45000  # 0.5 s at 90 kHz
    assert wire.rtp[6].timestamp == wire.rtp[5].timestamp + 3000
    assert {p.ssrc for p in wire.rtp} == {VIDEO_SSRC}
    assert a.downtracks == () and b.downtracks == (track,)
    assert track.stats.dropped_waiting_keyframe == 1


async def test_a_new_subscriber_starts_at_a_keyframe_and_asks_for_one() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(wire))
    for i in range(3):
        await forwarder.on_rtp(packet(10 + i, 3000 * i, vp8(False), ssrc=77))
    assert wire.rtp == []
    assert upstream.plis == [77]  # one request, the other two coalesced
    assert forwarder.keyframe_requests_coalesced == 2

    await forwarder.on_rtp(packet(13, 9000, vp8(True), ssrc=77))
    assert [p.sequence_number for p in wire.rtp] == [1000]


async def test_audio_is_not_gated() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = TrackForwarder("audio/opus", upstream.send_pli, clock=clock)
    forwarder.attach(downtrack(wire, video=False))
    await forwarder.on_rtp(packet(1, 960, b"opus-frame"))
    assert [p.payload for p in wire.rtp] == [b"opus-frame"]
    assert await forwarder.request_keyframe() is False
    assert upstream.plis == []


async def test_keyframe_requests_are_coalesced_per_300_ms() -> None:
    clock, upstream = Clock(), Upstream()
    requester = KeyframeRequester(upstream.send_pli, clock)
    sent = []
    for at in (0.0, 0.1, 0.29, 0.31, 0.4, 0.62):
        clock.now = 100.0 + at
        sent.append(await requester.request(5))
    assert sent == [True, False, False, True, False, True]
    assert upstream.plis == [5, 5, 5]
    assert await requester.request(None) is False  # nothing seen yet: no SSRC to name


async def test_plis_from_many_subscribers_become_one_upstream_request() -> None:
    clock, upstream = Clock(), Upstream()
    forwarder = video_forwarder(clock, upstream)
    wires = [Wire() for _ in range(10)]
    tracks = [downtrack(w) for w in wires]
    for t in tracks:
        forwarder.attach(t)
    await forwarder.on_rtp(packet(1, 0, vp8(True), ssrc=9))
    for t in tracks:
        pli = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=t.params.ssrc)
        await handle_subscriber_rtcp(t, pli, clock.now)
    assert upstream.plis == [9]
    clock.now += 0.301
    await handle_subscriber_rtcp(tracks[0], pli, clock.now)
    assert upstream.plis == [9, 9]
    assert tracks[0].stats.keyframe_requests == 2


async def test_nack_is_answered_from_the_cache_with_the_subscribers_numbers() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream)
    track = downtrack(wire)
    forwarder.attach(track)
    for i in range(6):
        await forwarder.on_rtp(packet(500 + i, 3000 * i, vp8(i == 0), ssrc=3))
    original = wire.rtp[3]
    nack = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=VIDEO_SSRC)
    nack.lost = [1003, 1009]  # 1009 was never sent
    await handle_subscriber_rtcp(track, nack, clock.now)

    resent = wire.rtp[6:]
    assert len(resent) == 1
    assert (resent[0].sequence_number, resent[0].timestamp) == (1003, original.timestamp)
    assert resent[0].payload == original.payload and resent[0].ssrc == VIDEO_SSRC
    assert upstream.plis == []  # nothing went upstream
    assert (track.stats.nacked, track.stats.retransmitted) == (2, 1)


async def test_nack_for_a_packet_gone_from_the_cache_is_not_answered() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream, cache_size=4)
    track = downtrack(wire)
    forwarder.attach(track)
    for i in range(8):
        await forwarder.on_rtp(packet(i, 0, vp8(i == 0), ssrc=3))
    assert track.retransmission(1001, 0) is None
    assert track.retransmission(1007, 0) is not None


async def test_nack_reaching_back_before_a_source_switch_uses_the_old_sources_cache() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    a, b = video_forwarder(clock, upstream), video_forwarder(clock, upstream)
    track = downtrack(wire)
    a.attach(track)
    await a.on_rtp(packet(10, 0, vp8(True), ssrc=1))
    await a.on_rtp(packet(11, 0, b"a-payload", ssrc=1))
    b.attach(track)
    await b.on_rtp(packet(900, 0, vp8(True), ssrc=2))
    data = track.retransmission(1001, 0)
    assert data is not None and RtpPacket.parse(data).payload == b"a-payload"
    data = track.retransmission(1002, 0)
    assert data is not None and RtpPacket.parse(data).payload == vp8(True)


async def test_sender_reports_are_translated_into_the_subscribers_timestamp_space() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream)
    track = downtrack(wire, seq=1, ts=1_000_000)
    forwarder.attach(track)
    for i in range(3):
        await forwarder.on_rtp(packet(70 + i, 450_000 + 3000 * i, vp8(i == 0), ssrc=4))
    ntp = 0xE1234567_80000000
    report = RtcpSrPacket(
        ssrc=4,
        sender_info=RtcpSenderInfo(
            ntp_timestamp=ntp, rtp_timestamp=456_000, packet_count=3, octet_count=9
        ),
    )
    await forwarder.on_rtcp(report)

    reports = [p for p in wire.rtcp if isinstance(p, RtcpSrPacket)]
    assert len(reports) == 1
    translated = reports[0]
    assert translated.ssrc == VIDEO_SSRC
    assert translated.sender_info.ntp_timestamp == ntp
    # the publisher's RTP time 456000 is the subscriber's timestamp of that same frame
    assert translated.sender_info.rtp_timestamp == wire.rtp[2].timestamp
    assert translated.sender_info.packet_count == 3
    assert translated.sender_info.octet_count == sum(len(p.payload) for p in wire.rtp)


async def test_a_subscriber_joining_later_gets_the_last_sender_report_with_its_first_packet() -> (
    None
):
    clock, upstream, first, late = Clock(), Upstream(), Wire(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(first))
    await forwarder.on_rtp(packet(1, 90000, vp8(True), ssrc=4))
    info = RtcpSenderInfo(ntp_timestamp=1 << 40, rtp_timestamp=90000, packet_count=1, octet_count=1)
    await forwarder.on_rtcp(RtcpSrPacket(ssrc=4, sender_info=info))
    clock.now += 1.0  # the keyframe is too old to be replayed: the late one waits for the next
    forwarder.attach(downtrack(late, ts=7))
    await forwarder.on_rtp(packet(2, 93000, vp8(True), ssrc=4))
    reports = [p for p in late.rtcp if isinstance(p, RtcpSrPacket)]
    assert len(reports) == 1
    assert reports[0].sender_info.rtp_timestamp == (late.rtp[0].timestamp - 3000) & 0xFFFFFFFF


async def test_mute_stops_forwarding_and_unmute_resumes_without_a_sequence_gap() -> None:
    clock, upstream, wire = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(wire))
    await forwarder.on_rtp(packet(1, 0, vp8(True), ssrc=4))
    forwarder.set_muted(True)
    for i in range(2, 10):
        await forwarder.on_rtp(packet(i, 3000 * i, vp8(False), ssrc=4))
    assert len(wire.rtp) == 1
    forwarder.set_muted(False)
    await forwarder.on_rtp(packet(10, 30000, vp8(False), ssrc=4))  # waits for a keyframe
    await forwarder.on_rtp(packet(11, 33000, vp8(True), ssrc=4))
    assert [p.sequence_number for p in wire.rtp] == [1000, 1001]
    assert upstream.plis == [4]


async def test_receiver_reports_and_remb_from_subscribers_become_stats() -> None:
    from media.aiortc_hooks import RTCP_PSFB_APP, RtcpReceiverInfo, RtcpRrPacket, pack_remb_fci

    wire = Wire()
    track = downtrack(wire)
    report = RtcpReceiverInfo(
        ssrc=VIDEO_SSRC,
        fraction_lost=12,
        packets_lost=3,
        highest_sequence=1,
        jitter=40,
        lsr=0,
        dlsr=0,
    )
    await handle_subscriber_rtcp(track, RtcpRrPacket(ssrc=1, reports=[report]), 0.0)
    remb = RtcpPsfbPacket(
        fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(300_000, [VIDEO_SSRC])
    )
    await handle_subscriber_rtcp(track, remb, 0.0)
    assert (track.stats.fraction_lost, track.stats.jitter) == (12, 40)
    assert track.stats.remb_bitrate == 300_000


async def test_streams_negotiated_differently_get_their_own_header_extensions() -> None:
    from aiortc import RTCRtpHeaderExtensionParameters
    from aiortc.rtcrtpparameters import RTCRtpSendParameters

    from media.aiortc_hooks import HeaderExtensionsMap

    def extension_map(mid_id: int) -> tuple[HeaderExtensionsMap, tuple[tuple[str, int], ...]]:
        uri = "urn:ietf:params:rtp-hdrext:sdes:mid"
        parameters = RTCRtpSendParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=mid_id, uri=uri)]
        )
        extensions = HeaderExtensionsMap()
        extensions.configure(parameters)
        return extensions, ((uri, mid_id),)

    clock, upstream = Clock(), Upstream()
    forwarder = video_forwarder(clock, upstream)
    wires = [Wire() for _ in range(4)]
    shapes = [("0", 1), ("0", 1), ("3", 1), ("0", 5)]  # (mid, extension id)
    for i, (wire, (mid, ext_id)) in enumerate(zip(wires, shapes, strict=True)):
        extensions, key = extension_map(ext_id)
        params = StreamParams(
            ssrc=100 + i,
            payload_type=96 + i,
            clock_rate=90000,
            mid=mid,
            extensions=extensions,
            extensions_key=key,
        )
        forwarder.attach(Downtrack(params, wire.send, gated=True, initial_seq=10 * i, initial_ts=0))
    await forwarder.on_rtp(packet(1, 0, vp8(True), ssrc=4))

    for i, (wire, (mid, ext_id)) in enumerate(zip(wires, shapes, strict=True)):
        extensions, _ = extension_map(ext_id)
        parsed = RtpPacket.parse(wire.raw[0], extensions)  # read with the stream's own ids
        assert (parsed.sequence_number, parsed.ssrc, parsed.payload_type) == (
            10 * i,
            100 + i,
            96 + i,
        )
        assert parsed.extensions.mid == mid


async def test_a_subscriber_joining_soon_after_a_keyframe_starts_with_it_from_the_cache() -> None:
    clock, upstream, first, late = Clock(), Upstream(), Wire(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(first))
    await forwarder.on_rtp(packet(20, 0, vp8(False), ssrc=4))  # before the keyframe
    await forwarder.on_rtp(packet(21, 3000, vp8(True), ssrc=4))
    await forwarder.on_rtp(packet(22, 3000, vp8(True, start=False), ssrc=4, marker=1))
    await forwarder.on_rtp(packet(24, 6000, vp8(False), ssrc=4))  # 23 lost upstream
    plis = len(upstream.plis)
    info = RtcpSenderInfo(ntp_timestamp=1 << 40, rtp_timestamp=3000, packet_count=1, octet_count=1)
    await forwarder.on_rtcp(RtcpSrPacket(ssrc=4, sender_info=info))

    clock.now += 0.25  # within the 300 ms window
    late_track = downtrack(late, seq=500, ts=0)
    forwarder.attach(late_track)
    # the keyframe and what followed went out at once, renumbered without a gap for the loss
    assert [p.sequence_number for p in late.rtp] == [500, 501, 503]
    assert late.rtp[0].payload == vp8(True) and late.rtp[1].marker == 1
    assert [p.timestamp - late.rtp[0].timestamp for p in late.rtp] == [0, 0, 3000]
    assert len(late.rtcp) == 1  # its sender report came first
    assert len(upstream.plis) == plis and forwarder.keyframe_replays == 1
    await forwarder.on_rtp(packet(25, 9000, vp8(False), ssrc=4))  # live packets continue
    assert [p.sequence_number for p in late.rtp][-1] == 504
    assert not late_track.waiting_for_keyframe


async def test_a_subscriber_joining_long_after_a_keyframe_asks_for_one_at_once() -> None:
    clock, upstream, first = Clock(), Upstream(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(first))
    await forwarder.on_rtp(packet(1, 0, vp8(True), ssrc=4))
    clock.now += 0.5
    wires = [Wire() for _ in range(5)]
    for wire in wires:  # a burst of joins: one request, sent without waiting for a packet
        forwarder.attach(downtrack(wire))
    await asyncio.sleep(0)
    assert upstream.plis == [4]
    assert forwarder.keyframe_requests_sent == 1 and forwarder.keyframe_requests_coalesced == 4
    assert all(w.rtp == [] for w in wires) and forwarder.keyframe_replays == 0
    await forwarder.on_rtp(packet(2, 3000, vp8(True), ssrc=4))
    assert all(len(w.rtp) == 1 for w in wires)


async def test_nothing_from_before_a_mute_is_replayed() -> None:
    clock, upstream, first, late = Clock(), Upstream(), Wire(), Wire()
    forwarder = video_forwarder(clock, upstream)
    forwarder.attach(downtrack(first))
    await forwarder.on_rtp(packet(1, 0, vp8(True), ssrc=4))
    forwarder.set_muted(True)
    forwarder.set_muted(False)
    forwarder.attach(downtrack(late))
    assert late.rtp == [] and forwarder.keyframe_replays == 0
