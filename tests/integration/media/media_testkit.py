"""Real aiortc client peers and a room harness for the SFU integration tests (no mocks)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from fractions import Fraction
from typing import Any, TypeVar

import av
from aiortc import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)

from media import messages as m
from media.room import MediaConfig, MediaRoom

E = TypeVar("E")
WIDTH, HEIGHT = 160, 120


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `predicate` until true; fail with a clear message after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


async def wait_until_async(predicate: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """`wait_until` for predicates that must await (e.g. getStats)."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


class MovingVideoTrack(VideoStreamTrack):
    """Synthetic video with moving content (a bright bar sweeping across a gradient).

    `fps` below 30 keeps tests that run many tracks in one process light: at 30 fps, 20
    encoders, 30 decoder threads and the SFU in one interpreter starve its event loop on a
    loaded 2-core machine until ICE consent checks (0.5 s, no retransmission) fail six times in
    a row and aioice closes the connection."""

    def __init__(self, shade: int = 0, fps: int = 30) -> None:
        super().__init__()
        self._count = 0
        self._shade = shade
        self._frame_ticks = 90_000 // fps
        self._started_at: float | None = None

    async def _next_pts(self) -> tuple[int, Fraction]:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.time()
        if self._started_at is None:
            self._started_at = now
        else:
            due = self._started_at + self._count * self._frame_ticks / 90_000
            await asyncio.sleep(due - now)
        return self._count * self._frame_ticks, Fraction(1, 90_000)

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self._next_pts()
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        bar = (self._count * 4) % WIDTH
        row = bytes(255 if bar <= x < bar + 16 else (x + self._shade) % 200 for x in range(WIDTH))
        frame.planes[0].update(row * HEIGHT)
        chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
        frame.planes[1].update(chroma)
        frame.planes[2].update(chroma)
        frame.pts = pts
        frame.time_base = time_base
        self._count += 1
        return frame


def client_pc() -> RTCPeerConnection:
    """A client peer connection with `bundlePolicy: "max-bundle"`, as docs/protocol.md asks of
    every client (aiortc's default "balanced" loses the second of two videos of one first offer)."""
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


def prefer(transceiver: Any, mime_type: str) -> None:
    caps = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    transceiver.setCodecPreferences([c for c in caps if c.mimeType == mime_type])


class Harness:
    """A MediaRoom whose events are recorded per participant."""

    def __init__(self, config: MediaConfig | None = None) -> None:
        self.room = MediaRoom(config or MediaConfig(host_addresses=("127.0.0.1",)), self._emit)
        self.events: list[m.Event] = []
        self._listeners: dict[str, list[Callable[[m.Event], None]]] = defaultdict(list)
        self.clients: list[Client] = []

    def _emit(self, event: m.Event) -> None:
        self.events.append(event)
        pid = getattr(event, "participant_id", None)
        for listener in self._listeners.get(str(pid), []):
            listener(event)

    def listen(self, participant_id: str, listener: Callable[[m.Event], None]) -> None:
        self._listeners[participant_id].append(listener)

    def of(self, kind: type[E], participant_id: str | None = None) -> list[E]:
        return [
            e
            for e in self.events
            if isinstance(e, kind)
            and (participant_id is None or getattr(e, "participant_id", None) == participant_id)
        ]

    async def next(self, kind: type[E], participant_id: str, after: int = 0) -> E:
        await wait_until(lambda: len(self.of(kind, participant_id)) > after)
        return self.of(kind, participant_id)[after]

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        await self.room.close()


class Client:
    """A participant's browser stand-in: a publishing and a subscribing aiortc connection."""

    def __init__(self, harness: Harness, participant_id: str) -> None:
        self.h = harness
        self.id = participant_id
        self.pub: RTCPeerConnection | None = None
        self.sub: RTCPeerConnection | None = None
        self.frames: dict[str, int] = defaultdict(int)  # mid → frames decoded
        self.first_frame_at: dict[str, float] = {}
        self.slots: dict[str, m.SlotInfo] = {}  # mid → active slot
        self.offers = 0
        self.closed = False
        self._readers: list[asyncio.Task[None]] = []
        self._answering: set[asyncio.Task[None]] = set()
        harness.listen(participant_id, self._on_event)
        harness.clients.append(self)

    async def join(self) -> None:
        await self.h.room.handle(m.Join(self.id))

    # --- publishing ---

    async def publish(
        self, tracks: list[tuple[MediaStreamTrack, str]], mime_type: str | None = None
    ) -> dict[str, str]:
        """Publish (or renegotiate with added tracks); returns label → track id."""
        if self.pub is None:
            self.pub = client_pc()
        labels = []
        for track, label in tracks:
            transceiver = self.pub.addTransceiver(track, direction="sendonly")
            if mime_type is not None and track.kind == "video":
                prefer(transceiver, mime_type)
            labels.append((transceiver, label))
        return await self._negotiate_publish(labels)

    async def unpublish_transceiver(self, label_mid: str) -> None:
        assert self.pub is not None
        for t in self.pub.getTransceivers():
            if t.mid == label_mid:
                t.direction = "inactive"
        await self._negotiate_publish([])

    async def _negotiate_publish(self, labels: list[tuple[Any, str]]) -> dict[str, str]:
        assert self.pub is not None
        before = len(self.h.of(m.Answer, self.id))
        added = len(self.h.of(m.TrackAdded))
        await self.pub.setLocalDescription(await self.pub.createOffer())
        mids = tuple((t.mid, label) for t, label in labels)
        await self.h.room.handle(m.PublishOffer(self.id, self.pub.localDescription.sdp, mids))
        answer = await self.h.next(m.Answer, self.id, before)
        await self.pub.setRemoteDescription(RTCSessionDescription(answer.sdp, "answer"))
        new = [e for e in self.h.of(m.TrackAdded)[added:] if e.publisher_id == self.id]
        return {e.label: e.track_id for e in new}

    # --- subscribing ---

    def _on_event(self, event: m.Event) -> None:
        if isinstance(event, m.SubscriptionOffer):
            task = asyncio.ensure_future(self._answer(event))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(self, offer: m.SubscriptionOffer) -> None:
        if self.closed:
            return
        if self.sub is None:
            self.sub = client_pc()
            self.sub.on("track", self._on_track)
        await self.sub.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
        await self.sub.setLocalDescription(await self.sub.createAnswer())
        self.slots = {s.mid: s for s in offer.slots}
        self.offers += 1
        await self.h.room.handle(m.SubscriptionAnswer(self.id, self.sub.localDescription.sdp))

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.sub is not None
        mid = next(t.mid for t in self.sub.getTransceivers() if t.receiver.track is track)
        self._readers.append(asyncio.ensure_future(self._read(track, str(mid))))

    async def _read(self, track: MediaStreamTrack, mid: str) -> None:
        try:
            while True:
                await track.recv()
                self.frames[mid] += 1
                self.first_frame_at.setdefault(mid, time.monotonic())
        except MediaStreamError:
            pass

    def mid_of(self, track_id: str) -> str | None:
        return next((mid for mid, s in self.slots.items() if s.track_id == track_id), None)

    def frames_of(self, track_id: str) -> int:
        mid = self.mid_of(track_id)
        return self.frames.get(mid, 0) if mid is not None else 0

    def frames_of_slot(self, slot: str) -> int:
        mid = next((mid for mid, s in self.slots.items() if s.slot == slot), None)
        return self.frames.get(mid, 0) if mid is not None else 0

    async def close(self) -> None:
        self.closed = True
        for task in list(self._answering):
            await asyncio.gather(task, return_exceptions=True)
        for pc in (self.pub, self.sub):
            if pc is not None:
                await pc.close()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


def silent_audio() -> AudioStreamTrack:
    return AudioStreamTrack()
