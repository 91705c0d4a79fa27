"""A subscriber that arrives after a publisher already sends camera and screen: its first offer
brings both videos at once, and each must arrive on its own m-line (the SSRC that m-line's
a=ssrc announces, the mid header extension naming that m-line)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
)
from aiortc.sdp import SessionDescription

from media import messages as m
from tests.integration.media.media_testkit import (
    Client,
    Harness,
    MovingVideoTrack,
    silent_audio,
    wait_until,
)


def max_bundle_pc() -> RTCPeerConnection:
    """As docs/protocol.md asks of clients. aiortc's default ("balanced") loses the second of
    two video m-lines that one offer or answer brings when the BUNDLE tag m-line is audio."""
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


class PacketNotingClient(Client):
    """Subscribes with `bundlePolicy: "max-bundle"` (docs/protocol.md 1.3) and notes, per
    m-line, the (SSRC, mid header extension) of every RTP packet its receivers are handed."""

    def __init__(self, harness: Harness, participant_id: str) -> None:
        super().__init__(harness, participant_id)
        self.seen: dict[str, set[tuple[int, str | None]]] = defaultdict(set)
        self.sub = max_bundle_pc()
        self.sub.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        super()._on_track(track)
        assert self.sub is not None
        transceiver = next(t for t in self.sub.getTransceivers() if t.receiver.track is track)
        receiver, mid = transceiver.receiver, str(transceiver.mid)
        original = receiver._handle_rtp_packet

        async def noted(packet: Any, arrival_time_ms: int) -> None:
            self.seen[mid].add((packet.ssrc, packet.extensions.mid))
            await original(packet, arrival_time_ms=arrival_time_ms)

        setattr(receiver, "_handle_rtp_packet", noted)  # noqa: B010


def offered_ssrcs(sdp: str) -> dict[str, int]:
    """mid → the SSRC its m-line announces."""
    return {
        str(media.rtp.muxId): media.ssrc[0].ssrc
        for media in SessionDescription.parse(sdp).media
        if media.ssrc
    }


@pytest.mark.parametrize("offers", [1, 2], ids=["one-publish-offer", "screen-added-later"])
async def test_subscriber_joining_after_camera_and_screen_gets_each_on_its_own_m_line(
    harness: Harness, offers: int
) -> None:
    teacher = Client(harness, "teacher")
    teacher.pub = max_bundle_pc()
    await teacher.join()
    # audio first: the BUNDLE tag m-line is then not a video one, as with a browser's usual
    # microphone + camera (aiortc's default bundle policy got exactly this case wrong)
    first: list[tuple[MediaStreamTrack, str]] = [(silent_audio(), "microphone")]
    first.append((MovingVideoTrack(), "camera"))
    screen: list[tuple[MediaStreamTrack, str]] = [(MovingVideoTrack(shade=90), "screen")]
    if offers == 1:
        ids = await teacher.publish(first + screen)
    else:
        ids = await teacher.publish(first)
        ids |= await teacher.publish(screen)

    student = PacketNotingClient(harness, "student")
    await student.join()
    await harness.room.handle(m.Allow("teacher", "student"))
    await wait_until(lambda: student.offers >= 1)
    assert {s.label for s in student.slots.values()} == {"camera", "microphone", "screen"}
    announced = offered_ssrcs(harness.of(m.SubscriptionOffer, "student")[-1].sdp)
    videos = {label: student.mid_of(ids[label]) for label in ("camera", "screen")}
    assert None not in videos.values() and len(set(videos.values())) == 2, videos

    await wait_until(lambda: min(student.frames_of(ids[v]) for v in videos) >= 3, timeout=10)
    for label, mid in videos.items():
        assert mid is not None
        assert student.seen[mid] == {(announced[mid], mid)}, (label, mid, student.seen)
