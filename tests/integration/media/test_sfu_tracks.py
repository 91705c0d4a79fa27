"""Tracks coming and going, and the source behind a subscriber's track switching."""

from __future__ import annotations

from typing import Any

from media import messages as m
from tests.integration.media.media_testkit import (
    Client,
    Harness,
    MovingVideoTrack,
    silent_audio,
    wait_until,
)


async def test_screen_share_appears_and_goes_with_renegotiation(harness: Harness) -> None:
    teacher, student = Client(harness, "teacher"), Client(harness, "student")
    await teacher.join()
    await student.join()
    await harness.room.handle(m.Allow("teacher", "student"))
    camera = (await teacher.publish([(MovingVideoTrack(), "camera"), (silent_audio(), "mic")]))[
        "camera"
    ]
    await wait_until(lambda: student.frames_of(camera) >= 3, timeout=10)
    offers = student.offers

    screen = (await teacher.publish([(MovingVideoTrack(shade=90), "screen")]))["screen"]
    await wait_until(lambda: student.offers > offers)
    labels = {s.label for s in student.slots.values()}
    assert labels == {"camera", "mic", "screen"}
    await wait_until(lambda: student.frames_of(screen) >= 3, timeout=10)
    screen_mid = student.mid_of(screen)

    offers = student.offers
    await harness.room.handle(m.Unpublish("teacher", screen))
    await wait_until(lambda: student.offers > offers)
    assert {s.label for s in student.slots.values()} == {"camera", "mic"}
    assert harness.of(m.TrackRemoved)[-1] == m.TrackRemoved(screen, "teacher", "screen")
    assert student.sub is not None
    inactive = [t for t in student.sub.getTransceivers() if t.mid == screen_mid]
    assert inactive[0].currentDirection == "inactive"
    # the camera keeps flowing after the renegotiation
    frames = student.frames_of(camera)
    await wait_until(lambda: student.frames_of(camera) >= frames + 5, timeout=5)


async def test_a_new_screen_share_reuses_the_inactive_m_line(harness: Harness) -> None:
    teacher, student = Client(harness, "teacher"), Client(harness, "student")
    await teacher.join()
    await student.join()
    await harness.room.handle(m.Allow("teacher", "student"))
    first = (await teacher.publish([(MovingVideoTrack(), "screen")]))["screen"]
    await wait_until(lambda: student.frames_of(first) >= 2, timeout=10)
    await harness.room.handle(m.Unpublish("teacher", first))
    second = (await teacher.publish([(MovingVideoTrack(shade=50), "screen")]))["screen"]
    await wait_until(lambda: student.mid_of(second) is not None)
    assert student.sub is not None
    assert len(student.sub.getTransceivers()) == 1  # one m-line, recycled
    frames = student.frames_of(second)
    await wait_until(lambda: student.frames_of(second) >= frames + 3, timeout=10)


async def test_source_switch_keeps_the_subscriber_decoding_one_continuous_stream(
    harness: Harness,
) -> None:
    a, b, viewer = Client(harness, "a"), Client(harness, "b"), Client(harness, "viewer")
    for client in (a, b, viewer):
        await client.join()
    await harness.room.handle(m.Allow("a", "viewer", auto_subscribe=False))
    await harness.room.handle(m.Allow("b", "viewer", auto_subscribe=False))
    cam_a = (await a.publish([(MovingVideoTrack(shade=0), "camera")]))["camera"]
    cam_b = (await b.publish([(MovingVideoTrack(shade=60), "camera")]))["camera"]

    await harness.room.handle(m.Subscribe("viewer", cam_a, slot="speaker"))
    await wait_until(lambda: viewer.frames_of_slot("speaker") >= 5, timeout=10)
    offers = viewer.offers
    before = viewer.frames_of_slot("speaker")

    await harness.room.handle(m.Subscribe("viewer", cam_b, slot="speaker"))
    await wait_until(lambda: viewer.frames_of_slot("speaker") >= before + 10, timeout=10)
    assert viewer.offers == offers  # a source switch needs no renegotiation

    # the viewer's receiver saw one stream without a sequence jump: nothing counted as lost
    assert viewer.sub is not None
    inbound = await _inbound_video(viewer.sub)
    assert inbound.packetsLost <= 2, inbound
    downtrack = harness.room.forwarder(cam_b).downtracks[0]
    assert downtrack.epoch is not None
    assert downtrack.epoch.source is harness.room.forwarder(cam_b)
    assert harness.room.forwarder(cam_a).downtracks == ()


async def _inbound_video(pc: Any) -> Any:
    report = await pc.getStats()
    inbound = [s for s in report.values() if s.type == "inbound-rtp" and s.kind == "video"]
    assert len(inbound) == 1
    return inbound[0]
