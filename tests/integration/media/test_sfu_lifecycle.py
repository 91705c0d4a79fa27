"""Joining, leaving, failing and misbehaving: nothing leaks, the offender alone is affected."""

from __future__ import annotations

import asyncio
import gc
import os
import threading

from aiortc import RTCPeerConnection

from media import messages as m
from tests.integration.media.media_testkit import (
    Client,
    Harness,
    MovingVideoTrack,
    client_pc,
    silent_audio,
    wait_until,
)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    """Threads other than the default executor's (whose pool grows lazily with encoding)."""
    return sum(not t.name.startswith("asyncio_") for t in threading.enumerate())


def _live_peer_connections() -> int:
    gc.collect()
    return sum(isinstance(o, RTCPeerConnection) for o in gc.get_objects())


async def test_100_join_publish_leave_cycles_leak_no_tasks_threads_sockets_or_peers(
    harness: Harness,
) -> None:
    offerer = client_pc()
    offerer.addTransceiver("audio", direction="sendonly")
    offerer.addTransceiver("video", direction="sendonly")
    await offerer.setLocalDescription(await offerer.createOffer())
    offer = offerer.localDescription.sdp
    anchor = Client(harness, "anchor")  # a connected publisher everyone may receive
    await anchor.join()
    mic = (await anchor.publish([(silent_audio(), "microphone")]))["microphone"]
    await wait_until(lambda: harness.room.forwarder(mic).packets_in > 0)

    async def cycle(i: int) -> None:
        pid = f"p{i}"
        await harness.room.handle(m.Join(pid))
        await harness.room.handle(m.PublishOffer(pid, offer))  # a publish connection
        await harness.room.handle(m.Allow("anchor", pid))  # and a subscription connection
        assert all(harness.room.peers(pid))
        await harness.room.handle(m.Leave(pid))

    await cycle(-1)  # warm-up: lazy imports, codec tables
    tasks, threads, fds = len(asyncio.all_tasks()), _threads(), _open_fds()
    peers = _live_peer_connections()

    for i in range(100):
        await cycle(i)

    assert len(harness.of(m.Answer)) == 102  # anchor + warm-up + 100
    assert len(harness.of(m.SubscriptionOffer)) == 101
    assert len(harness.of(m.Left)) == 101
    assert not [e for e in harness.events if isinstance(e, m.CommandFailed)]
    await wait_until(lambda: len(asyncio.all_tasks()) <= tasks, timeout=5)
    await wait_until(lambda: _threads() <= threads, timeout=5)
    await wait_until(lambda: _open_fds() <= fds, timeout=5)
    await wait_until(lambda: _live_peer_connections() <= peers, timeout=5)
    await offerer.close()


async def test_leave_closes_connections_and_subscribers_renegotiate(harness: Harness) -> None:
    teacher, student = Client(harness, "teacher"), Client(harness, "student")
    await teacher.join()
    await student.join()
    await harness.room.handle(m.Allow("teacher", "student"))
    tracks = await teacher.publish([(MovingVideoTrack(), "camera"), (silent_audio(), "mic")])
    await wait_until(lambda: student.frames_of(tracks["camera"]) >= 2, timeout=10)
    publish_peer, _ = harness.room.peers("teacher")
    assert publish_peer is not None
    offers = student.offers

    await harness.room.handle(m.Leave("teacher"))

    assert publish_peer.pc.connectionState == "closed"
    left = harness.of(m.Left, "teacher")
    assert len(left) == 1 and set(left[0].removed_tracks) == set(tracks.values())
    removed = {e.track_id for e in harness.of(m.TrackRemoved)}
    assert removed == set(tracks.values())
    await wait_until(lambda: student.offers > offers)
    assert student.slots == {}  # both m-lines inactive in one renegotiation
    await harness.room.handle(m.Join("teacher"))  # the id is free again


async def test_a_client_closing_its_connection_cleans_the_server_side(harness: Harness) -> None:
    teacher, student = Client(harness, "teacher"), Client(harness, "student")
    await teacher.join()
    await student.join()
    await harness.room.handle(m.Allow("teacher", "student"))
    tracks = await teacher.publish([(MovingVideoTrack(), "camera")])
    await wait_until(lambda: student.frames_of(tracks["camera"]) >= 2, timeout=10)
    assert teacher.pub is not None

    await teacher.pub.close()  # e.g. the browser gave up after an ICE failure

    await wait_until(lambda: bool(harness.of(m.PeerClosed, "teacher")), timeout=5)
    closed = harness.of(m.PeerClosed, "teacher")[0]
    assert closed.role == "publish"
    assert harness.room.peers("teacher")[0] is None
    assert [e.track_id for e in harness.of(m.TrackRemoved)] == [tracks["camera"]]

    # the client renegotiates with a new connection and is forwarded again
    teacher.pub = None
    again = await teacher.publish([(MovingVideoTrack(), "camera")])
    await wait_until(lambda: student.frames_of(again["camera"]) >= 2, timeout=10)


async def test_a_new_client_connection_replaces_the_old_one_on_the_server(
    harness: Harness,
) -> None:
    teacher, student = Client(harness, "teacher"), Client(harness, "student")
    await teacher.join()
    await student.join()
    await harness.room.handle(m.Allow("teacher", "student"))
    first = await teacher.publish([(MovingVideoTrack(), "camera")])
    await wait_until(lambda: student.frames_of(first["camera"]) >= 2, timeout=10)
    old_server_peer, _ = harness.room.peers("teacher")
    abandoned = teacher.pub
    assert old_server_peer is not None and abandoned is not None

    teacher.pub = None  # the browser's ICE failed: it builds a new connection, says nothing
    second = await teacher.publish([(MovingVideoTrack(), "camera")])

    assert old_server_peer.pc.connectionState == "closed"
    assert harness.of(m.PeerClosed, "teacher")[-1].reason == "replaced by a new connection"
    assert [e.track_id for e in harness.of(m.TrackRemoved)] == [first["camera"]]
    await wait_until(lambda: student.frames_of(second["camera"]) >= 2, timeout=10)
    await abandoned.close()


async def test_restart_subscription_builds_a_new_connection(harness: Harness) -> None:
    teacher, student = Client(harness, "teacher"), Client(harness, "student")
    await teacher.join()
    await student.join()
    await harness.room.handle(m.Allow("teacher", "student"))
    camera = (await teacher.publish([(MovingVideoTrack(), "camera")]))["camera"]
    await wait_until(lambda: student.frames_of(camera) >= 2, timeout=10)
    _, old_peer = harness.room.peers("student")
    assert old_peer is not None and student.sub is not None

    await student.sub.close()
    student.sub = None
    student.frames.clear()
    await harness.room.handle(m.RestartSubscription("student"))

    await wait_until(lambda: student.frames_of(camera) >= 2, timeout=10)
    assert old_peer.pc.connectionState == "closed"
    assert harness.room.peers("student")[1] is not old_peer


async def test_bad_sdp_gets_a_clear_error_and_affects_only_the_offender(harness: Harness) -> None:
    teacher, student = Client(harness, "teacher"), Client(harness, "student")
    await teacher.join()
    await student.join()
    await harness.room.handle(m.Join("mallory"))
    await harness.room.handle(m.Allow("teacher", "student"))
    camera = (await teacher.publish([(MovingVideoTrack(), "camera")]))["camera"]
    await wait_until(lambda: student.frames_of(camera) >= 2, timeout=10)

    many = "v=0\r\n" + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" * 300
    bad = {
        "garbage": "hello",
        "x" * 70_000: None,
        many: None,
    }
    for sdp in bad:
        await harness.room.handle(m.PublishOffer("mallory", sdp))
    failures = harness.of(m.CommandFailed, "mallory")
    assert [(f.command, f.code) for f in failures] == [("PublishOffer", "sdp")] * 3
    assert [f.message for f in failures] == [
        "SDP must start with v=0",
        "SDP is 70000 bytes, more than the limit of 65536",
        "SDP has 300 media sections, more than the limit of 16",
    ]
    await harness.room.handle(m.SubscriptionAnswer("mallory", "v=0\r\n"))
    assert harness.of(m.CommandFailed, "mallory")[-1].message == (
        "no subscription offer is outstanding"
    )
    frames = student.frames_of(camera)
    await wait_until(lambda: student.frames_of(camera) >= frames + 5, timeout=5)
    assert harness.room.peers("mallory") == (None, None)


async def test_an_offer_without_forwardable_codecs_is_refused(harness: Harness) -> None:
    await harness.room.handle(m.Join("old-phone"))
    pc = client_pc()
    transceiver = pc.addTransceiver("audio", direction="sendonly")
    caps = [c for c in transceiver.sender.getCapabilities("audio").codecs if c.name == "PCMU"]
    transceiver.setCodecPreferences(caps)
    await pc.setLocalDescription(await pc.createOffer())
    await harness.room.handle(m.PublishOffer("old-phone", pc.localDescription.sdp))
    failed = harness.of(m.CommandFailed, "old-phone")[0]
    assert failed.message == (
        "media section 0 (audio) offers no allowed codec (opus, VP8, H264); offered: audio/PCMU"
    )
    await pc.close()
