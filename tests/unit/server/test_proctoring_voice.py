"""Speech detection on Opus payloads: a voiced signal for longer than the threshold raises one
flag per episode with its evidence; silence, noise, short talk and damaged packets do not."""

from __future__ import annotations

import fractions
from datetime import UTC, datetime, timedelta

import av
import numpy
import pytest

from server.proctoring_voice import SpeechCheck

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
RATE = 48000
Payloads = list[tuple[int, bytes]]


def voiced(seconds: float) -> numpy.ndarray:
    """A speech-like signal: a wavering 140 Hz voice with harmonics, syllable-rate loudness."""
    t = numpy.arange(int(seconds * RATE)) / RATE
    pitch = 140 + 20 * numpy.sin(2 * numpy.pi * 3 * t)
    phase = 2 * numpy.pi * numpy.cumsum(pitch) / RATE
    signal = sum(numpy.sin(k * phase) / k for k in range(1, 20))
    loudness = 0.6 + 0.4 * numpy.sin(2 * numpy.pi * 4 * t)
    return (signal * loudness * 6000).astype(numpy.int16)


def silence(seconds: float) -> numpy.ndarray:
    return numpy.zeros(int(seconds * RATE), numpy.int16)


def opus(pcm: numpy.ndarray, first_ts: int = 0) -> Payloads:
    """20 ms Opus packets of ``pcm`` with their RTP timestamps, as a browser would send."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = RATE, "mono", "s16"
    encoder.time_base = fractions.Fraction(1, RATE)
    packets: Payloads = []
    for start in range(0, len(pcm) - 959, 960):
        chunk = av.AudioFrame.from_ndarray(pcm[start : start + 960].reshape(1, -1), "s16", "mono")
        chunk.sample_rate, chunk.pts = RATE, start
        for encoded in encoder.encode(chunk):
            packets.append(((first_ts + int(encoded.pts or 0)) & 0xFFFFFFFF, bytes(encoded)))
    return packets


def test_talking_longer_than_the_threshold_raises_one_flag_with_evidence() -> None:
    check = SpeechCheck(threshold=3, window=5)
    stream = opus(numpy.concatenate([silence(1), voiced(6)]), first_ts=0xFFFFF000)  # wraps
    first, rest = stream[:150], stream[150:]  # fed in two batches, as the watch drains
    assert check.observe((1, 9), first, T0) == []
    flags = check.observe((1, 9), rest, T0 + timedelta(seconds=4))
    assert [f.kind for f in flags] == ["speech_detected"]
    evidence = flags[0].evidence
    assert evidence["speech_seconds"] >= 3 and evidence["window_seconds"] == 5
    assert evidence["source"] == "speech"
    # Timed at the first speech: ~1 s into a 7 s stream whose end was seen at T0 + 4 s.
    assert abs((flags[0].at - (T0 - timedelta(seconds=2))).total_seconds()) < 0.5
    more = opus(voiced(3), first_ts=stream[-1][0] + 960)
    assert check.observe((1, 9), more, T0 + timedelta(seconds=7)) == []  # the same episode


def test_a_new_episode_after_a_quiet_window_flags_again() -> None:
    check = SpeechCheck(threshold=2, window=3)
    pcm = numpy.concatenate([voiced(3), silence(4), voiced(3)])
    flags = check.observe((1, 9), opus(pcm), T0)
    assert [f.kind for f in flags] == ["speech_detected", "speech_detected"]
    assert flags[1].at - flags[0].at == timedelta(seconds=7)


def test_silence_noise_short_talk_and_junk_raise_nothing() -> None:
    check = SpeechCheck(threshold=3, window=5)
    noise = (numpy.random.default_rng(1).standard_normal(RATE * 6) * 300).astype(numpy.int16)
    assert check.observe((1, 1), opus(silence(6)), T0) == []
    assert check.observe((1, 2), opus(noise), T0) == []
    short = numpy.concatenate([voiced(2), silence(4)])
    assert check.observe((1, 3), opus(short), T0) == []
    assert check.observe((1, 4), [(0, b""), (960, b"\xff" * 40)], T0) == []


def test_students_are_kept_apart_and_forgotten() -> None:
    check = SpeechCheck(threshold=3, window=5)
    talk = opus(voiced(2))
    check.observe((1, 1), talk, T0)
    assert check.observe((1, 2), talk, T0) == []  # two seconds each: nobody spoke 3 s
    check.forget((1, 1))
    later = opus(voiced(2), first_ts=talk[-1][0] + 960)
    assert check.observe((1, 1), later, T0) == []  # forgotten: counting starts again


def test_a_threshold_longer_than_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        SpeechCheck(threshold=6, window=5)
    with pytest.raises(ValueError):
        SpeechCheck(threshold=0, window=5)
