"""What the server's own proctoring evidence costs, per student, on this machine.

    .venv/bin/python bench/proctoring_evidence.py [--seconds 30] [--runs 5]

- speech: Opus decode + resample to 16 kHz + webrtcvad per 20 ms packet (``SpeechCheck``), on
  a stream of alternating speech-like sound and silence, in microseconds per packet;
- camera sample: one 640x480 VP8 keyframe reassembled, decoded to a 320 px gray image and given
  to the Haar face counter, in milliseconds (once per ``PROCTORING_SAMPLE_SECONDS`` per student);
- tap: what the forwarder's per-packet hook adds when a tap is present but not collecting
  (``KeyframeTap`` between samples) and when it takes every packet (``StreamTap``), nanoseconds.
Medians of ``--runs``. The last line is the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy

from media.aiortc_hooks import RtpPacket
from media.forwarder import TrackForwarder
from media.tap import KeyframeTap, StreamTap
from server.proctoring_faces import HaarFaceCounter
from server.proctoring_sampler import decode_gray
from server.proctoring_voice import SpeechCheck
from tests.unit.server.test_proctoring_sampler import keyframe_payloads
from tests.unit.server.test_proctoring_voice import opus, silence, voiced


def speech_us_per_packet(seconds: int) -> float:
    parts = [voiced(2) if i % 2 == 0 else silence(2) for i in range(max(1, seconds // 2))]
    packets = opus(numpy.concatenate(parts))
    check = SpeechCheck(3, 5)
    started = time.perf_counter()
    for i in range(0, len(packets), 50):  # drained once a second, as the watch does
        check.observe((1, 1), packets[i : i + 50], datetime.now(UTC))
    return (time.perf_counter() - started) / len(packets) * 1e6


def sample_ms(count: HaarFaceCounter, payloads: list[bytes]) -> float:
    started = time.perf_counter()
    gray = decode_gray("video/VP8", payloads)
    assert gray is not None
    count.count_gray(gray)
    return (time.perf_counter() - started) * 1e3


async def tap_ns(packets: int) -> tuple[float, float, float]:
    async def no_pli(ssrc: int) -> None:
        return None

    stream = [RtpPacket(111, 0, i & 0xFFFF, i * 960, 1, b"\x78" * 80) for i in range(packets)]

    async def run(tap: KeyframeTap | StreamTap | None) -> float:
        forwarder = TrackForwarder("audio/opus", no_pli)
        forwarder.tap = tap
        started = time.perf_counter()
        for packet in stream:
            await forwarder.on_rtp(packet)
            if isinstance(tap, StreamTap) and len(tap.queue) > 400:
                tap.queue.clear()
        return (time.perf_counter() - started) / packets * 1e9

    idle = KeyframeTap("video/VP8", lambda ps: None)
    return await run(None), await run(idle), await run(StreamTap())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    speech = statistics.median(speech_us_per_packet(args.seconds) for _ in range(args.runs))
    count = HaarFaceCounter()
    payloads = keyframe_payloads("video/VP8", 1)
    sample_ms(count, payloads)  # warm
    sample = statistics.median(sample_ms(count, payloads) for _ in range(args.runs * 4))
    taps = [asyncio.run(tap_ns(20000)) for _ in range(args.runs)]
    bare, idle, streaming = (statistics.median(t[i] for t in taps) for i in range(3))
    print(f"speech: {speech:.0f} us per 20 ms packet ({speech / 200:.2f} % of one core)")
    print(f"camera sample (640x480 VP8 keyframe, decode + Haar): {sample:.1f} ms")
    print(f"forwarder on_rtp, no subscriber: {bare:.0f} ns; idle tap +{idle - bare:.0f} ns;")
    print(f"  stream tap +{streaming - bare:.0f} ns")
    print(
        f"proctoring_evidence speech_us_per_packet={speech:.0f} sample_ms={sample:.1f} "
        f"idle_tap_ns={idle - bare:.0f}"
    )


if __name__ == "__main__":
    main()
