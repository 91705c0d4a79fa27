"""The per-subscriber fast path: patching bytes of one serialized packet must give exactly what
serializing an RtpPacket for each subscriber would."""

from __future__ import annotations

import random

from aiortc import RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpparameters import RTCRtpSendParameters

from media.aiortc_hooks import HeaderExtensions, HeaderExtensionsMap, RtpPacket
from media.downtrack import Downtrack, PacketWriter, StreamParams, serialize
from media.forwarder import TrackForwarder
from tests.unit.media.rtp_samples import packet, vp8

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


def params(ssrc: int, pt: int, mid: str, ids: tuple[int, int, int]) -> StreamParams:
    uris = (MID, ABS_SEND_TIME, AUDIO_LEVEL)
    parameters = RTCRtpSendParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in zip(ids, uris, strict=True)
        ]
    )
    extensions = HeaderExtensionsMap()
    extensions.configure(parameters)
    return StreamParams(
        ssrc=ssrc,
        payload_type=pt,
        clock_rate=90000,
        mid=mid,
        extensions=extensions,
        extensions_key=tuple(zip(uris, ids, strict=True)),
    )


def incoming(rng: random.Random) -> RtpPacket:
    p = packet(
        rng.randrange(1 << 16),
        rng.randrange(1 << 32),
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 1200))),
        ssrc=rng.randrange(1 << 32),
        pt=rng.choice((96, 111)),
        marker=rng.randrange(2),
    )
    p.padding_size = rng.choice((0, 0, 0, 7))
    p.extensions = HeaderExtensions(audio_level=rng.choice((None, (True, 30))))
    return p


def test_patched_bytes_equal_a_full_serialization_for_every_subscriber() -> None:
    rng = random.Random(3)
    streams = [
        params(0x1000 + i, 100, "1", (1, 2, 3))
        for i in range(5)  # one shape, shared
    ] + [params(0x2000, 101, "1", (1, 2, 3)), params(0x3000, 100, "4", (5, 6, 7))]
    for _ in range(200):
        source = incoming(rng)
        send_time = rng.randrange(1 << 24)
        writer = PacketWriter(source, send_time)
        for stream in streams:
            seq, ts = rng.randrange(1 << 16), rng.randrange(1 << 32)
            fast = writer.write(stream, seq, ts, stream.shape)
            reference = serialize(source, stream, seq, ts, send_time)
            # equal but for the padding's filler bytes, which aiortc draws at random
            body = len(reference) - source.padding_size
            assert len(fast) == len(reference) and fast[:body] == reference[:body]
            assert fast[-1:] == reference[-1:]
            parsed = RtpPacket.parse(fast, stream.extensions)
            assert (parsed.sequence_number, parsed.timestamp, parsed.ssrc) == (seq, ts, stream.ssrc)
            assert parsed.payload == source.payload and parsed.marker == source.marker
            assert parsed.extensions.mid == stream.mid
            assert parsed.extensions.abs_send_time == send_time


def test_the_writer_serializes_once_per_shape() -> None:
    source = packet(1, 2, b"x" * 100)
    writer = PacketWriter(source, 0)
    shared = [params(0x1000 + i, 100, "1", (1, 2, 3)) for i in range(3)]
    for stream in shared:
        writer.write(stream, 1, 2, stream.shape)
    other = params(0x2000, 100, "2", (1, 2, 3))
    writer.write(other, 1, 2, other.shape)
    assert len(writer._templates) == 2


async def test_fanout_bytes_equal_a_reference_rewrite_per_subscriber() -> None:
    """Drive the forwarder (fast path) and compare each subscriber's bytes with a plain
    RtpPacket rewrite using the epoch offsets the downtrack chose."""
    sent: dict[int, list[bytes]] = {}

    async def no_pli(ssrc: int) -> None:
        return None

    forwarder = TrackForwarder("video/VP8", no_pli, clock=lambda: 5.0, wall_clock=lambda: 7.0)
    tracks = []
    for i in range(4):
        stream = params(0x5000 + i, 100 + (i == 3), "1", (1, 2, 3))
        sent[stream.ssrc] = []
        track = Downtrack(
            stream, sent[stream.ssrc].append, gated=True, initial_seq=100 * i, initial_ts=i
        )
        track.send = lambda data, out=sent[stream.ssrc]: out.append(data) is None
        forwarder.attach(track)
        tracks.append(track)
    sources = [packet(65530 + i, (1 << 32) - 6000 + 3000 * i, vp8(i == 0)) for i in range(12)]
    for source in sources:
        await forwarder.on_rtp(source)
    for track in tracks:
        epoch = track.epoch
        assert epoch is not None
        got = sent[track.params.ssrc]
        assert len(got) == len(sources)
        for source, data in zip(sources, got, strict=True):
            seq = (source.sequence_number + epoch.seq_offset) & 0xFFFF
            ts = (source.timestamp + epoch.ts_offset) & 0xFFFFFFFF
            send_time = (int((7.0 + 2208988800) * (1 << 32)) >> 14) & 0xFFFFFF
            assert data == serialize(source, track.params, seq, ts, send_time)
        seqs = [RtpPacket.parse(d).sequence_number for d in got]
        assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(len(seqs))]
