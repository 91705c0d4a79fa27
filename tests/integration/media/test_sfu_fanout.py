"""A publisher through the SFU to several real aiortc subscribers that decode what they get."""

from __future__ import annotations

import asyncio
import threading
import time

from media import aiortc_hooks as hooks
from media import messages as m
from tests.integration.media.media_testkit import (
    Client,
    Harness,
    MovingVideoTrack,
    silent_audio,
    wait_until,
)


def _decoder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("-decoder") and t.is_alive()]


async def test_five_subscribers_decode_and_a_late_joiner_starts_within_a_second(
    harness: Harness,
) -> None:
    decoders_before = set(_decoder_threads())
    teacher = Client(harness, "teacher")
    await teacher.join()
    students = [Client(harness, f"s{i}") for i in range(5)]
    for student in students:
        await student.join()
        await harness.room.handle(m.Allow("teacher", student.id))
    tracks = await teacher.publish([(MovingVideoTrack(), "camera"), (silent_audio(), "microphone")])
    camera, mic = tracks["camera"], tracks["microphone"]

    for student in students:
        await wait_until(lambda s=student: s.frames_of(camera) >= 5, timeout=10)
        await wait_until(lambda s=student: s.frames_of(mic) >= 5, timeout=10)

    late = Client(harness, "late")
    started = time.monotonic()
    await late.join()
    await harness.room.handle(m.Allow("teacher", "late"))
    await wait_until(lambda: late.frames_of(camera) >= 1, timeout=1.0)
    assert late.first_frame_at[str(late.mid_of(camera))] - started < 1.0

    # The server never decodes: every server-side receiver has the null queue, its decoder thread
    # has already ended, and the encoded frames it assembled were dropped, not decoded.
    publish_peer, _ = harness.room.peers("teacher")
    assert publish_peer is not None
    receivers = [t.receiver for t in publish_peer.pc.getTransceivers()]
    assert len(receivers) == 2
    for receiver in receivers:
        queue = hooks.decoder_queue(receiver)
        assert isinstance(queue, hooks.NullDecoderQueue)
        assert queue.dropped > 0
        assert not hooks.decoder_thread_alive(receiver)
    # the only decoder threads this test started are the clients': 6 subscribers x 2 tracks
    assert len(set(_decoder_threads()) - decoders_before) == 12

    forwarder = harness.room.forwarder(camera)
    assert len(forwarder.downtracks) == 6
    await harness.room.handle(m.RequestStats("teacher"))
    stats = harness.of(m.Stats, "teacher")[-1]
    by_label = {s.label: s for s in stats.published}
    assert by_label["camera"].subscribers == 6
    assert by_label["camera"].keyframes_in >= 1


async def test_h264_is_forwarded_when_the_publisher_prefers_it(harness: Harness) -> None:
    alice, bob = Client(harness, "alice"), Client(harness, "bob")
    await alice.join()
    await bob.join()
    await harness.room.handle(m.Allow("alice", "bob"))
    tracks = await alice.publish([(MovingVideoTrack(), "camera")], mime_type="video/H264")
    added = harness.of(m.TrackAdded)[-1]
    assert added.mime_type == "video/H264"
    await wait_until(lambda: bob.frames_of(tracks["camera"]) >= 5, timeout=10)


async def test_mute_stops_forwarding_and_unmute_resumes_at_a_keyframe(harness: Harness) -> None:
    alice, bob = Client(harness, "alice"), Client(harness, "bob")
    await alice.join()
    await bob.join()
    await harness.room.handle(m.Allow("alice", "bob"))
    camera = (await alice.publish([(MovingVideoTrack(), "camera")]))["camera"]
    await wait_until(lambda: bob.frames_of(camera) >= 3, timeout=10)

    await harness.room.handle(m.Mute("alice", camera, True))
    downtrack = harness.room.forwarder(camera).downtracks[0]
    sent = downtrack.stats.packets_sent
    await wait_until(lambda: harness.room.forwarder(camera).packets_in > 20)  # media still in
    assert downtrack.stats.packets_sent == sent

    await harness.room.handle(m.Mute("alice", camera, False))
    frames = bob.frames_of(camera)
    await wait_until(lambda: bob.frames_of(camera) >= frames + 3, timeout=5)
    assert harness.of(m.TrackMuted)[-1] == m.TrackMuted(camera, "alice", False)


async def test_a_burst_of_joins_starts_from_shared_keyframes(harness: Harness) -> None:
    teacher, first = Client(harness, "teacher"), Client(harness, "first")
    await teacher.join()
    await first.join()
    await harness.room.handle(m.Allow("teacher", "first"))
    camera = (await teacher.publish([(MovingVideoTrack(), "camera")]))["camera"]
    await wait_until(lambda: first.frames_of(camera) >= 5, timeout=10)
    forwarder = harness.room.forwarder(camera)
    requests_before = forwarder.keyframe_requests_sent

    started = time.monotonic()
    burst = [Client(harness, f"b{i}") for i in range(6)]
    await asyncio.gather(*(b.join() for b in burst))
    await asyncio.gather(*(harness.room.handle(m.Allow("teacher", b.id)) for b in burst))
    for b in burst:
        await wait_until(lambda b=b: b.frames_of(camera) >= 1, timeout=5)
    elapsed = time.monotonic() - started

    # every joiner started at a keyframe: replayed from the cache or requested on subscribe,
    # with at most one upstream request per 300 ms however many joined
    assert forwarder.keyframe_requests_sent - requests_before <= 1 + elapsed / 0.3
    assert all(not d.waiting_for_keyframe for d in forwarder.downtracks)
    assert len(forwarder.downtracks) == 7


async def test_routes_changing_while_a_subscription_is_negotiated_end_in_one_consistent_state(
    harness: Harness,
) -> None:
    teacher, assistant, student = (Client(harness, pid) for pid in ("teacher", "ta", "student"))
    for client in (teacher, assistant, student):
        await client.join()
    camera = (await teacher.publish([(MovingVideoTrack(), "camera")]))["camera"]
    board = (await assistant.publish([(MovingVideoTrack(shade=50), "camera")]))["camera"]
    # the second Allow lands while the first offer, or its answer, is in flight
    await asyncio.gather(
        harness.room.handle(m.Allow("teacher", "student")),
        harness.room.handle(m.Allow("ta", "student")),
    )
    await wait_until(lambda: student.frames_of(camera) >= 3, timeout=10)
    await wait_until(lambda: student.frames_of(board) >= 3, timeout=10)
    await harness.room.handle(m.Revoke("ta", "student"))
    await wait_until(lambda: student.mid_of(board) is None, timeout=5)
    assert student.mid_of(camera) is not None
    assert harness.of(m.CommandFailed) == []
