"""Watching one exam student's track inside the SFU: the camera sampled for the face check and
watched for stalls, the microphone listened to for speech.

Nothing here trusts the student's page: the frames and sound are what the server forwards. The
camera watch asks the publisher for a keyframe every ``sample_seconds``, collects its packets with
a ``media.tap.KeyframeTap``, reassembles them with ``recordings.depacketize`` and decodes only that
frame with PyAV in a worker thread (one decode at a time in the process). When no packet of a
published camera arrives for ``stall_seconds`` it raises ``camera_lost``. The microphone watch
drains a ``media.tap.StreamTap`` every second into the ``SpeechCheck`` (in a worker thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from media.aiortc_hooks import RtpPacket
from media.forwarder import TrackForwarder
from media.tap import KeyframeTap, PacketTap, StreamTap
from recordings.depacketize import MalformedPayload, depacketizer_for
from server.clock import iso_utc
from server.proctoring_faces import CheckinKey, FaceCheck, RaisedFlag
from server.proctoring_rules import BrowserFlag
from server.proctoring_voice import SpeechCheck

log = logging.getLogger(__name__)

DECODE_WIDTH = 320  # the face check looks at 320 px wide frames: scaled while converting
VOICE_DRAIN_SECONDS = 1.0
# Attaches a tap to the track (None detaches): the track's forwarder, or None once it is gone.
Attach = Callable[[PacketTap | None], TrackForwarder | None]
Report = Callable[[list[RaisedFlag]], Awaitable[None]]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class WatchSettings:
    """How often to sample the camera and how long a silence of packets is a lost camera."""

    sample_seconds: float = 3.0
    stall_seconds: float = 10.0


def decode_gray(mime_type: str, payloads: list[bytes]) -> Any | None:
    """One keyframe's RTP payloads to a grayscale numpy image at most 320 px wide (blocking);
    None if the payloads do not form a decodable frame."""
    import av

    try:
        data, _keyframe = depacketizer_for(mime_type).assemble(payloads)
    except (MalformedPayload, ValueError):
        return None
    codec = "vp8" if mime_type.lower().endswith("vp8") else "h264"
    context: Any = av.CodecContext.create(codec, "r")
    try:
        frames = list(context.decode(av.Packet(data))) + list(context.decode(None))
    except av.error.FFmpegError:
        return None
    if not frames:
        return None
    frame = frames[0]
    width = min(DECODE_WIDTH, frame.width)
    height = max(1, frame.height * width // frame.width)
    return frame.to_ndarray(width=width, height=height, format="gray")


class CameraWatch:
    """Samples one camera track for the face check and flags it when its packets stop."""

    def __init__(
        self,
        key: CheckinKey,
        track_id: str,
        mime_type: str,
        attach: Attach,
        faces: FaceCheck,
        report: Report,
        now: Clock,
        settings: WatchSettings,
        decoding: asyncio.Semaphore,
    ) -> None:
        self.key, self.track_id, self._mime = key, track_id, mime_type
        self._decoding = decoding  # shared by every watch: one decode at a time
        self._attach, self._faces, self._report, self._now = attach, faces, report, now
        self._settings = settings
        self._tap = KeyframeTap(mime_type, self._frame_ready)
        self._frame: asyncio.Future[list[RtpPacket]] | None = None
        self._packets_seen = -1
        self._quiet_since: datetime | None = None
        self._stall_flagged = False
        self.samples = 0

    def _frame_ready(self, packets: list[RtpPacket]) -> None:
        if self._frame is not None and not self._frame.done():
            self._frame.set_result(packets)

    async def run(self) -> None:
        """Until the track is gone (or the task is cancelled)."""
        try:
            while True:
                forwarder = self._attach(self._tap)
                if forwarder is None:
                    return
                await self._check_stall(forwarder)
                await self._sample(forwarder)
        finally:
            self._attach(None)

    async def _check_stall(self, forwarder: TrackForwarder) -> None:
        now = self._now()
        if forwarder.packets_in != self._packets_seen:
            self._packets_seen = forwarder.packets_in
            self._quiet_since, self._stall_flagged = None, False
            return
        if self._quiet_since is None:
            self._quiet_since = now
        quiet = (now - self._quiet_since).total_seconds()
        if self._stall_flagged or quiet < self._settings.stall_seconds:
            return
        self._stall_flagged = True
        evidence = {
            "source": "camera_watch",
            "track_id": self.track_id,
            "last_packet_before": iso_utc(self._quiet_since),
            "seconds": round(quiet, 1),
            "packets_in": forwarder.packets_in,
        }
        detail = f"no camera video reached the server for {quiet:.0f} s"
        flag = RaisedFlag(BrowserFlag.CAMERA_LOST, self._quiet_since, detail, evidence)
        await self._report([flag])

    async def _sample(self, forwarder: TrackForwarder) -> None:
        """Wait for a keyframe (asked for now) for up to one period, then look at it."""
        period = self._settings.sample_seconds
        started = asyncio.get_running_loop().time()
        self._frame = asyncio.get_running_loop().create_future()
        self._tap.want()
        await forwarder.request_keyframe()
        try:
            packets = await asyncio.wait_for(asyncio.shield(self._frame), period)
        except TimeoutError:
            self._tap.cancel()
            return
        finally:
            self._frame = None
        seen_at = self._now()
        payloads = [p.payload for p in packets]
        async with self._decoding:
            gray = await asyncio.to_thread(decode_gray, self._mime, payloads)
        if gray is not None:
            self.samples += 1
            await self._report(await self._faces.observe_gray(self.key, gray, seen_at))
        spent = asyncio.get_running_loop().time() - started
        await asyncio.sleep(max(0.0, period - spent))


class MicrophoneWatch:
    """Listens to one microphone track: speech while the exam forbids it raises a flag."""

    def __init__(
        self,
        key: CheckinKey,
        attach: Attach,
        speech: SpeechCheck,
        report: Report,
        now: Clock,
        listening: Callable[[], bool],
    ) -> None:
        self.key = key
        self._attach, self._speech, self._report, self._now = attach, speech, report, now
        self._listening = listening
        self._tap = StreamTap()
        self.packets = 0

    async def run(self) -> None:
        try:
            while True:
                if self._attach(self._tap) is None:
                    return
                await asyncio.sleep(VOICE_DRAIN_SECONDS)
                payloads = self._tap.drain()
                if not payloads or not self._listening():
                    continue
                self.packets += len(payloads)
                seen_at = self._now()
                raised = await asyncio.to_thread(self._speech.observe, self.key, payloads, seen_at)
                await self._report(raised)
        finally:
            self._attach(None)


async def stop(task: asyncio.Task[None] | None) -> None:
    """Cancels a watch and waits for it to let go of its tap."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
