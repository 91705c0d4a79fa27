"""A publisher renegotiating badly, and one reconnecting again and again: the tracks that flow
keep flowing, and nothing of an old connection stays behind."""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Callable

from aiortc import RTCPeerConnection

from media import messages as m
from tests.integration.media.media_testkit import (
    Client,
    Harness,
    MovingVideoTrack,
    silent_audio,
    wait_until,
)


def _without_lines(sdp: str, prefix: str) -> str:
    return "".join(line for line in sdp.splitlines(keepends=True) if not line.startswith(prefix))


def _without_last_section(sdp: str) -> str:
    cut = sdp.rindex("m=")
    kept = sdp[:cut]
    return re.sub(r"a=group:BUNDLE (.*) \S+\r\n", r"a=group:BUNDLE \1\r\n", kept)


def _with_unknown_codec_only(sdp: str) -> str:
    """Section 1 (video) offers only VP9: the codec check refuses it."""
    head, video = sdp[: sdp.rindex("m=video")], sdp[sdp.rindex("m=video") :]
    video = re.sub(r"VP8/90000", "VP9/90000", video)
    video = re.sub(r"H264/90000", "VP9/90000", video)
    return head + video


BAD_RENEGOTIATIONS: dict[str, tuple[Callable[[str], str], str]] = {
    "no ICE password": (
        lambda sdp: _without_lines(sdp, "a=ice-pwd"),
        "media section 0 (audio) has no a=ice-ufrag and a=ice-pwd",
    ),
    "no rtcp-mux": (
        lambda sdp: _without_lines(sdp, "a=rtcp-mux"),
        "media section 0 (audio) has no a=rtcp-mux",
    ),
    "a section dropped": (
        _without_last_section,
        "renegotiation drops media section 1 (mid 1); keep it and set it inactive, "
        "or build a new connection",
    ),
    "no usable codec": (
        _with_unknown_codec_only,
        "media section 1 (video) offers no allowed codec (opus, VP8, H264); offered: video/VP9",
    ),
    "not SDP": (lambda sdp: "v=0\r\nm=audio\r\n", "SDP does not parse (AssertionError)"),
}


async def test_bad_renegotiation_offers_are_refused_and_media_keeps_flowing(
    harness: Harness,
) -> None:
    tutor, student = Client(harness, "tutor"), Client(harness, "student")
    await tutor.join()
    await student.join()
    await harness.room.handle(m.Allow("tutor", "student"))
    tracks = await tutor.publish([(silent_audio(), "microphone"), (MovingVideoTrack(), "camera")])
    camera = tracks["camera"]
    await wait_until(lambda: student.frames_of(camera) >= 3, timeout=10)
    assert tutor.pub is not None
    good = tutor.pub.localDescription.sdp
    publish_peer, _ = harness.room.peers("tutor")

    for name, (spoil, message) in BAD_RENEGOTIATIONS.items():
        failures = len(harness.of(m.CommandFailed, "tutor"))
        await harness.room.handle(m.PublishOffer("tutor", spoil(good)))
        failed = harness.of(m.CommandFailed, "tutor")[failures:]
        assert [(f.command, f.code) for f in failed] == [("PublishOffer", "sdp")], name
        assert failed[0].message.startswith(message), (name, failed[0].message)
        frames = student.frames_of(camera)
        await wait_until(lambda f=frames: student.frames_of(camera) >= f + 5, timeout=10)

    assert harness.of(m.TrackRemoved) == [] and harness.of(m.PeerClosed) == []
    assert harness.room.peers("tutor")[0] is publish_peer
    assert sorted(harness.room.router.slots("student").values()) == sorted(tracks.values())
    # the connection still renegotiates properly afterwards
    screen = (await tutor.publish([(MovingVideoTrack(shade=90), "screen")]))["screen"]
    await wait_until(lambda: student.frames_of(screen) >= 3, timeout=10)


async def test_a_publisher_reconnecting_again_and_again_leaves_nothing_behind(
    harness: Harness,
) -> None:
    tutor, student = Client(harness, "tutor"), Client(harness, "student")
    await tutor.join()
    await student.join()
    await harness.room.handle(m.Allow("tutor", "student"))
    peers: list[weakref.ref[object]] = []
    forwarders: list[weakref.ref[object]] = []
    for round_ in range(6):
        if tutor.pub is not None:
            await tutor.pub.close()  # the client gives up on its connection and builds another
            tutor.pub = None
        tracks = await tutor.publish(
            [(silent_audio(), "microphone"), (MovingVideoTrack(shade=round_), "camera")]
        )
        await wait_until(lambda t=tracks: all(student.frames_of(i) >= 3 for i in t.values()))
        # one connection's worth of state, whatever the round
        assert sorted(harness.room.router.slots("student").values()) == sorted(tracks.values())
        assert len(harness.room.router.tracks()) == 2
        _, subscribe_peer = harness.room.peers("student")
        assert subscribe_peer is not None
        assert subscribe_peer.offered_sections() == 2  # inactive m-lines reused, not piling up
        peers.append(weakref.ref(harness.room.peers("tutor")[0]))
        forwarders += [weakref.ref(harness.room.forwarder(t)) for t in tracks.values()]
        if round_ == 2:
            # unpublished on this connection: the mid is retired here, not on the next one
            await harness.room.handle(m.Unpublish("tutor", tracks["camera"]))

    assert len(harness.of(m.PeerClosed, "tutor")) == 5  # one per connection given up
    assert not harness.of(m.CommandFailed)
    assert harness.room.router.held_back("student") == []

    # Nothing keeps an old connection alive. A subscriber's stream keeps its previous source
    # (for NACKs) until the next one: at most one earlier round's forwarders, no connection.
    def alive(refs: list[weakref.ref[object]]) -> int:
        gc.collect()
        return sum(ref() is not None for ref in refs)

    await wait_until(lambda: alive(peers) == 1 and alive(forwarders) <= 4)
    assert peers[-1]() is not None
    live_pcs = [o for o in gc.get_objects() if isinstance(o, RTCPeerConnection)]
    assert sum(pc.connectionState != "closed" for pc in live_pcs) == 4  # 2 client, 2 server
