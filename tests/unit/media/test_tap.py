"""Taps beside the fan-out: one keyframe's packets on request, a bounded payload queue, and a
forwarder that shows packets to a tap only while it wants them."""

from __future__ import annotations

from media.aiortc_hooks import RtpPacket
from media.forwarder import TrackForwarder
from media.tap import KeyframeTap, StreamTap
from tests.unit.media.rtp_samples import packet, vp8


def _rest(seq: int, ts: int, marker: int = 0) -> RtpPacket:
    return packet(seq, ts, vp8(True, start=False), marker=marker)


def _tap() -> tuple[KeyframeTap, list[list[int]]]:
    frames: list[list[int]] = []
    tap = KeyframeTap("video/VP8", lambda ps: frames.append([p.sequence_number for p in ps]))
    return tap, frames


def test_the_next_keyframe_is_handed_over_in_order_then_the_tap_stops() -> None:
    tap, frames = _tap()
    assert not tap.wanted
    tap.want()
    tap.on_rtp(packet(10, 900, vp8(False), marker=1))  # a delta frame: ignored
    tap.on_rtp(packet(11, 1000, vp8(True)))
    tap.on_rtp(_rest(13, 1000, marker=1))  # reordered: the middle packet is late
    assert frames == []
    tap.on_rtp(_rest(12, 1000))
    assert frames == [[11, 12, 13]]
    assert not tap.wanted and tap.frames == 1


def test_sequence_numbers_wrap_and_a_one_packet_keyframe_is_a_frame() -> None:
    tap, frames = _tap()
    tap.want()
    tap.on_rtp(packet(0xFFFF, 5, vp8(True)))
    tap.on_rtp(_rest(0, 5, marker=1))
    tap.want()
    tap.on_rtp(packet(1, 9, vp8(True), marker=1))
    assert frames == [[0xFFFF, 0], [1]]


def test_a_new_keyframe_before_the_marker_starts_over_and_other_frames_are_ignored() -> None:
    tap, frames = _tap()
    tap.want()
    tap.on_rtp(packet(20, 100, vp8(True)))  # its marker never comes
    tap.on_rtp(packet(21, 200, vp8(False), marker=1))  # a delta frame in between
    tap.on_rtp(packet(22, 300, vp8(True)))
    tap.on_rtp(_rest(23, 300, marker=1))
    assert frames == [[22, 23]] and tap.dropped == 1


def test_cancel_and_h264_and_audio_codecs() -> None:
    tap, _frames = _tap()
    tap.want()
    tap.cancel()
    assert not tap.wanted
    idr = packet(1, 7, bytes([0x65, 0x88, 0x80]), marker=1)  # NAL type 5 (IDR), one packet
    h264: list[int] = []
    other = KeyframeTap("video/H264", lambda ps: h264.append(len(ps)))
    other.want()
    other.on_rtp(idr)
    assert h264 == [1]
    try:
        KeyframeTap("audio/opus", lambda ps: None)
    except ValueError as exc:
        assert "keyframes" in str(exc)
    else:
        raise AssertionError("an audio codec has no keyframes")


def test_a_failing_consumer_never_reaches_the_forwarding_path() -> None:
    def broken(packets: list[RtpPacket]) -> None:
        raise RuntimeError("the observer broke")

    tap = KeyframeTap("video/VP8", broken)
    tap.want()
    tap.on_rtp(packet(1, 1, vp8(True), marker=1))
    assert tap.frames == 1 and not tap.wanted


def test_the_stream_tap_keeps_the_newest_payloads_only() -> None:
    tap = StreamTap(max_queued=3)
    for i in range(5):
        tap.on_rtp(packet(i, i * 960, bytes([i])))
    assert tap.drain() == [(1920, b"\x02"), (2880, b"\x03"), (3840, b"\x04")]
    assert tap.drain() == []


async def test_the_forwarder_shows_packets_only_to_a_tap_that_wants_them() -> None:
    async def no_pli(ssrc: int) -> None:
        return None

    forwarder = TrackForwarder("video/VP8", no_pli)
    tap, frames = _tap()
    forwarder.tap = tap
    await forwarder.on_rtp(packet(1, 1, vp8(True), marker=1))  # not wanted yet
    tap.want()
    await forwarder.on_rtp(packet(2, 2, vp8(True), marker=1))
    await forwarder.on_rtp(packet(3, 3, vp8(True), marker=1))  # collected one: stopped
    assert frames == [[2]] and forwarder.packets_in == 3
