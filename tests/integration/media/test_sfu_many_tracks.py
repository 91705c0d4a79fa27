"""One subscriber receiving many tracks on one connection (a proctor's grid), and the cap."""

from __future__ import annotations

import asyncio

from media import messages as m
from media.room import MediaConfig
from media.sdp import MAX_MEDIA_SECTIONS
from tests.integration.media.media_testkit import (
    Client,
    Harness,
    MovingVideoTrack,
    silent_audio,
    wait_until,
)


async def test_one_subscriber_receives_thirty_tracks_from_ten_publishers(
    harness: Harness,
) -> None:
    proctor = Client(harness, "proctor")
    await proctor.join()
    students = [Client(harness, f"s{i}") for i in range(10)]
    track_ids: list[str] = []
    for i, student in enumerate(students):
        await student.join()
        await harness.room.handle(m.Allow(student.id, proctor.id))
        tracks = await student.publish(
            [
                (MovingVideoTrack(shade=i, fps=10), "camera"),
                (MovingVideoTrack(shade=i + 50, fps=10), "screen"),
                (silent_audio(), "microphone"),
            ]
        )
        track_ids += tracks.values()
    assert len(track_ids) == 30

    # every track decodes at the proctor, all on one subscription connection
    await wait_until(lambda: all(proctor.frames_of(t) >= 3 for t in track_ids), timeout=60)
    _, peer = harness.room.peers(proctor.id)
    assert peer is not None
    assert peer.offered_sections() >= 30 > MAX_MEDIA_SECTIONS
    assert {s.track_id for s in proctor.slots.values()} == set(track_ids)
    assert not harness.of(m.CommandFailed)
    assert not harness.of(m.SubscriptionLimited)


async def test_tracks_past_the_cap_are_held_back_and_come_in_when_a_slot_frees(
    loopback: None,
) -> None:
    harness = Harness(MediaConfig(host_addresses=("127.0.0.1",), max_subscribed_tracks=4))
    try:
        viewer = Client(harness, "viewer")
        await viewer.join()
        publishers = [Client(harness, f"p{i}") for i in range(3)]
        tracks: dict[str, dict[str, str]] = {}
        for publisher in publishers:
            await publisher.join()
            await harness.room.handle(m.Allow(publisher.id, viewer.id))
            tracks[publisher.id] = await publisher.publish(
                [(MovingVideoTrack(), "camera"), (silent_audio(), "microphone")]
            )
        held = [tracks["p2"]["camera"], tracks["p2"]["microphone"]]
        limited = await harness.next(m.SubscriptionLimited, viewer.id)
        assert limited == m.SubscriptionLimited(viewer.id, tuple(held), 4)
        first = [tracks[p][label] for p in ("p0", "p1") for label in ("camera", "microphone")]
        await wait_until(lambda: all(viewer.frames_of(t) >= 2 for t in first), timeout=20)
        assert all(viewer.frames_of(t) == 0 for t in held)
        # an explicit subscription past the cap is refused with a clear error
        await harness.room.handle(m.Subscribe(viewer.id, held[0], slot="extra"))
        failed = harness.of(m.CommandFailed, viewer.id)[-1]
        assert (failed.code, failed.message) == ("route", "'viewer' receives at most 4 tracks")

        # p0 leaves: its two slots go to the tracks held back, and the viewer hears it
        await harness.room.handle(m.Leave("p0"))
        await wait_until(lambda: all(viewer.frames_of(t) >= 2 for t in held), timeout=20)
        assert harness.of(m.SubscriptionLimited, viewer.id)[-1].track_ids == ()
    finally:
        await harness.close()
        await asyncio.sleep(0)
