"""RTCP through the SFU with real peers: NACK answered from the cache, sender reports
translated for subscribers, receiver reports still reaching the publisher."""

from __future__ import annotations

from typing import Any

from media import aiortc_hooks as hooks
from media import messages as m
from tests.integration.media.media_testkit import (
    Client,
    Harness,
    MovingVideoTrack,
    silent_audio,
    wait_until,
    wait_until_async,
)


async def _stats(pc: Any, kind: str) -> list[Any]:
    report = await pc.getStats()
    return [s for s in report.values() if s.type == kind]


async def test_lost_packets_are_retransmitted_from_the_cache(harness: Harness) -> None:
    alice, bob = Client(harness, "alice"), Client(harness, "bob")
    await alice.join()
    await bob.join()
    await harness.room.handle(m.Allow("alice", "bob"))
    camera = (await alice.publish([(MovingVideoTrack(), "camera")]))["camera"]
    await wait_until(lambda: bob.frames_of(camera) >= 2, timeout=10)

    downtrack = harness.room.forwarder(camera).downtracks[0]
    wire = downtrack.send
    dropped: set[int] = set()

    def lossy(data: bytes) -> bool:  # the network between SFU and bob loses 1 in 7
        seq = int.from_bytes(data[2:4], "big")
        is_rtcp = 192 <= data[1] <= 223
        if not is_rtcp and seq % 7 == 0 and seq not in dropped:
            dropped.add(seq)
            return True
        return wire(data)

    downtrack.send = lossy
    frames = bob.frames_of(camera)
    await wait_until(lambda: downtrack.stats.retransmitted >= 3, timeout=5)
    await wait_until(lambda: bob.frames_of(camera) >= frames + 10, timeout=5)
    forwarder = harness.room.forwarder(camera)
    assert forwarder.keyframe_requests_sent <= 2  # answered by retransmission, not keyframes
    assert downtrack.stats.nacked >= downtrack.stats.retransmitted >= 3


async def test_subscribers_get_translated_sender_reports_and_the_publisher_gets_reports(
    harness: Harness,
) -> None:
    alice, bob = Client(harness, "alice"), Client(harness, "bob")
    await alice.join()
    await bob.join()
    await harness.room.handle(m.Allow("alice", "bob"))
    await alice.publish([(MovingVideoTrack(), "camera"), (silent_audio(), "microphone")])
    assert alice.pub is not None

    async def synced() -> bool:
        assert bob.sub is not None
        ours = {s.ssrc for s in await _stats(bob.sub, "inbound-rtp")}
        remote = await _stats(bob.sub, "remote-outbound-rtp")
        kinds = {s.kind for s in remote if s.ssrc in ours and s.packetsSent > 0}
        return kinds == {"audio", "video"}

    async def publisher_heard_back() -> bool:
        assert alice.pub is not None
        return len(await _stats(alice.pub, "remote-inbound-rtp")) == 2

    await wait_until(lambda: bob.sub is not None, timeout=5)
    await wait_until_async(synced, timeout=5)  # aiortc sends reports every 0.5-1.5 s
    await wait_until_async(publisher_heard_back, timeout=5)

    # the forwarding senders never built an encoder
    _, subscriber = harness.room.peers("bob")
    assert subscriber is not None
    assert not any(hooks.sender_has_encoder(s) for s in subscriber.pc.getSenders())
