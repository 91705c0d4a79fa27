"""Cheap synthetic media for bench/proctoring.py: frames encoded once, looped by every student.

Encoding 10 cameras and 10 screens live would cost the load generator far more than the server
spends forwarding them, on a machine the server shares. So the camera (640x480, 30 fps, ~1 Mbps
VP8: a cartoon face the Haar cascade finds, swaying over a noisy background), the screen
(1280x720, 5 fps VP8: a page of text lines being "typed") and the microphone (Opus, 20 ms, faint
noise) are encoded once with PyAV, and each student's tracks hand aiortc the encoded packets
(`RTCRtpSender` packetizes an `av.Packet` without encoding). A video loop starts with its only
keyframe; a keyframe request (PLI/FIR from the SFU, e.g. for the server's face sampling) makes
the track start the loop again, so requests are honoured like a browser's encoder would.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass
from typing import Any

import av
import cv2
import numpy
from aiortc import MediaStreamTrack, RTCRtpSender

from tests.integration.server.proctoring_kit import frame as face_jpeg

VIDEO_CLOCK = 90000
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms


@dataclass(frozen=True)
class Loop:
    """Encoded units of one looping source: ``units[0]`` is a keyframe (video)."""

    kind: str
    units: list[bytes]
    interval: float  # seconds between units
    clock_rate: int

    @property
    def bitrate(self) -> float:
        return sum(len(u) for u in self.units) * 8 / (len(self.units) * self.interval)


def _vp8(frames: list[numpy.ndarray], fps: int, bitrate: int) -> list[bytes]:
    """Encodes grey frames (height x width uint8) as one VP8 stream with a single keyframe."""
    height, width = frames[0].shape
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = fractions.Fraction(1, fps)
    codec.framerate = fractions.Fraction(fps, 1)
    codec.bit_rate = bitrate
    codec.gop_size = 100000  # one keyframe: the loop's first frame
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    chroma = numpy.full((height // 2, width // 2), 128, numpy.uint8)
    units: list[bytes] = []
    for index, grey in enumerate(frames):
        picture = av.VideoFrame(width, height, "yuv420p")
        picture.planes[0].update(grey.tobytes())
        picture.planes[1].update(chroma.tobytes())
        picture.planes[2].update(chroma.tobytes())
        picture.pts = index
        units += [bytes(p) for p in codec.encode(picture)]
    units += [bytes(p) for p in codec.encode(None)]
    return units


def camera_loop(seconds: float = 4.0, fps: int = 30, bitrate: int = 1_000_000) -> Loop:
    """640x480: one face swaying a few pixels over fresh low-level noise (keeps ~1 Mbps)."""
    face = cv2.imdecode(numpy.frombuffer(face_jpeg(1), numpy.uint8), cv2.IMREAD_GRAYSCALE)
    assert face is not None
    rng = numpy.random.default_rng(7)
    frames = []
    for n in range(int(seconds * fps)):
        shift = int(8 * numpy.sin(2 * numpy.pi * n / (seconds * fps)))
        noise = rng.integers(-5, 6, face.shape).astype(numpy.int16)
        moved = numpy.roll(face, shift, axis=1).astype(numpy.int16) + noise
        frames.append(numpy.clip(moved, 0, 255).astype(numpy.uint8))
    return Loop("video", _vp8(frames, fps, bitrate), 1 / fps, VIDEO_CLOCK)


def screen_loop(seconds: float = 10.0, fps: int = 5, bitrate: int = 400_000) -> Loop:
    """1280x720: a white page whose dark text lines grow a little every frame."""
    frames = []
    count = int(seconds * fps)
    for n in range(count):
        page = numpy.full((720, 1280), 235, numpy.uint8)
        page[:48] = 60  # a title bar
        for line in range(24):
            y = 80 + line * 26
            length = 300 + (line * 97) % 800
            if line == n * 24 // count:  # the line being typed
                length = 40 + (n % (count // 24 or 1)) * 60
            elif line > n * 24 // count:
                continue
            page[y : y + 12, 40 : 40 + length] = 30
        frames.append(page)
    return Loop("video", _vp8(frames, fps, bitrate), 1 / fps, VIDEO_CLOCK)


def microphone_loop(seconds: float = 1.0) -> Loop:
    """Opus 48 kHz stereo, 20 ms packets of faint noise (a quiet room, no speech)."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = AUDIO_RATE, "stereo", "s16"
    codec.bit_rate = 32000
    rng = numpy.random.default_rng(11)
    units: list[bytes] = []
    for n in range(int(seconds * AUDIO_RATE / AUDIO_SAMPLES)):
        samples = rng.integers(-40, 41, (1, AUDIO_SAMPLES * 2)).astype(numpy.int16)
        chunk = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        chunk.sample_rate, chunk.pts = AUDIO_RATE, n * AUDIO_SAMPLES
        units += [bytes(p) for p in codec.encode(chunk)]
    return Loop("audio", units, AUDIO_SAMPLES / AUDIO_RATE, AUDIO_RATE)


def encode_loops() -> dict[str, Loop]:
    """Every student's sources, by label (about 6 s of encoding, once per run)."""
    return {"camera": camera_loop(), "screen": screen_loop(), "microphone": microphone_loop()}


class LoopTrack(MediaStreamTrack):
    """Plays a `Loop`'s encoded units in real time, as `av.Packet`s aiortc sends unencoded."""

    def __init__(self, loop: Loop) -> None:
        super().__init__()
        self.kind = loop.kind
        self.loop = loop
        self.count = 0  # units sent: the RTP clock
        self.position = 0  # where in the loop
        self.started: float | None = None
        self.keyframes_requested = 0
        self._time_base = fractions.Fraction(1, loop.clock_rate)
        self._step = round(loop.interval * loop.clock_rate)

    def attach(self, sender: RTCRtpSender) -> None:
        """Honour the sender's keyframe requests (aiortc only forces keyframes when encoding)."""
        sender._send_keyframe = self.request_keyframe  # type: ignore[method-assign]

    def request_keyframe(self) -> None:
        self.keyframes_requested += 1
        self.position = 0

    async def recv(self) -> av.Packet[Any]:
        if self.started is None:
            self.started = time.monotonic()
        delay = self.started + self.count * self.loop.interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        packet = av.Packet(self.loop.units[self.position])
        packet.pts, packet.time_base = self.count * self._step, self._time_base
        self.count += 1
        self.position = (self.position + 1) % len(self.loop.units)
        return packet
