"""The camera watch without sockets: a keyframe from a real VP8/H.264 encoder decoded to the
face check's grayscale image, samples feeding the face check, and a camera whose packets stop."""

from __future__ import annotations

import asyncio
import fractions
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import av
import cv2
import numpy
import pytest
from aiortc.codecs import get_encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.aiortc_hooks import RtpPacket
from media.tap import KeyframeTap, PacketTap
from server.proctoring_faces import FaceCheck, HaarFaceCounter, RaisedFlag
from server.proctoring_sampler import CameraWatch, WatchSettings, decode_gray
from tests.integration.server.proctoring_kit import frame
from tests.support import wait_until

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def keyframe_payloads(mime_type: str, faces: int) -> list[bytes]:
    """One keyframe of a 640x480 picture with ``faces`` faces, as the encoder packetises it."""
    image = cv2.imdecode(numpy.frombuffer(frame(faces), numpy.uint8), cv2.IMREAD_COLOR)
    video = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
    video.pts, video.time_base = 0, fractions.Fraction(1, 90000)
    encoder = get_encoder(RTCRtpCodecParameters(mimeType=mime_type, clockRate=90000))
    payloads, _timestamp = encoder.encode(video, force_keyframe=True)
    return list(payloads)


@pytest.mark.parametrize("mime_type", ["video/VP8", "video/H264"])
def test_a_keyframe_decodes_to_a_small_gray_image_the_face_check_reads(mime_type: str) -> None:
    count = HaarFaceCounter()
    for faces in (0, 1, 2):
        gray = decode_gray(mime_type, keyframe_payloads(mime_type, faces))
        assert gray is not None and gray.shape == (240, 320)
        assert count.count_gray(gray) == faces


def test_payloads_that_are_not_a_frame_decode_to_nothing() -> None:
    assert decode_gray("video/VP8", []) is None
    assert decode_gray("video/VP8", [b"\x90\x80\x05garbage that is no vp8 frame"]) is None
    assert decode_gray("video/H264", [b"\x65\x00\x00"]) is None


@dataclass
class FakeForwarder:
    """The watch's view of a track: a packet count, keyframe requests, and a publisher that
    answers a request with a keyframe (while ``sending``)."""

    payloads: list[bytes]
    tap: PacketTap | None = None
    packets_in: int = 0
    sending: bool = True
    requests: int = 0
    seq: int = 0
    flags: list[RaisedFlag] = field(default_factory=list)

    def attach(self, tap: PacketTap | None) -> FakeForwarder:
        self.tap = tap
        return self

    async def request_keyframe(self) -> bool:
        self.requests += 1
        if not self.sending or not isinstance(self.tap, KeyframeTap):
            return True
        timestamp = self.requests * 3000  # one frame: one timestamp
        for i, payload in enumerate(self.payloads):
            self.seq += 1
            last = i == len(self.payloads) - 1
            self.packets_in += 1
            packet = RtpPacket(96, int(last), self.seq, timestamp, 1, payload)
            if self.tap.wanted:
                self.tap.on_rtp(packet)
        return True

    async def report(self, flags: list[RaisedFlag]) -> None:
        self.flags += flags


@dataclass
class StepClock:
    now: datetime = T0
    step: timedelta = timedelta(seconds=1)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def _watch(forwarder: FakeForwarder, faces: FaceCheck, clock: StepClock) -> CameraWatch:
    return CameraWatch(
        (1, 9),
        "t1",
        "video/VP8",
        forwarder.attach,  # type: ignore[arg-type]
        faces,
        forwarder.report,
        clock,
        WatchSettings(sample_seconds=0.01, stall_seconds=3),
        asyncio.Semaphore(1),
    )


async def test_samples_feed_the_face_check_and_a_silent_camera_is_lost() -> None:
    forwarder = FakeForwarder(keyframe_payloads("video/VP8", 2))
    watch = _watch(forwarder, FaceCheck(threshold=2), StepClock())
    task = asyncio.create_task(watch.run())
    try:
        await wait_until(lambda: [f.kind for f in forwarder.flags] == ["multiple_faces"])
        forwarder.sending = False  # the camera goes quiet while still published
        await wait_until(lambda: len(forwarder.flags) == 2, timeout=10)
        lost = forwarder.flags[1]
        assert lost.kind == "camera_lost" and lost.evidence["seconds"] >= 3
        assert lost.evidence["track_id"] == "t1"
        samples = watch.samples
        forwarder.sending = True  # back: sampling resumes, and one flag per silence
        await wait_until(lambda: watch.samples > samples + 2)
        assert [f.kind for f in forwarder.flags] == ["multiple_faces", "camera_lost"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert forwarder.tap is None  # the watch let go of the track


async def test_the_watch_ends_when_the_track_is_gone() -> None:
    forwarder = FakeForwarder(keyframe_payloads("video/VP8", 1))
    watch = _watch(forwarder, FaceCheck(threshold=0), StepClock())
    gone = CameraWatch(
        (1, 9),
        "t1",
        "video/VP8",
        lambda tap: None,
        FaceCheck(),
        forwarder.report,
        StepClock(),
        WatchSettings(),
        asyncio.Semaphore(1),
    )
    await asyncio.wait_for(gone.run(), 1)
    task = asyncio.create_task(watch.run())
    await wait_until(lambda: watch.samples >= 2)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert forwarder.flags == []  # one face: nothing to flag
