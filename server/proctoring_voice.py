"""Server-side evidence from the microphone: speech while the exam forbids talking (an exam that
allows speech is never fed here: ``ExamEvidence`` drops its audio before decoding).

The exam student's Opus payloads (taken from the SFU by ``media.tap.StreamTap``) are decoded with
PyAV, resampled to 16 kHz mono and cut into 20 ms frames for WebRTC's voice activity detector
(``webrtcvad-wheels``). Speech for ``threshold`` seconds within a sliding ``window`` raises one
``speech_detected`` flag per episode (timed at the episode's first speech); the episode ends once a
whole window passes without speech. Decoding and detection are blocking: call ``observe`` from a
worker thread. Media time comes from the RTP timestamps (48 kHz), so gaps in sending are gaps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.clock import iso_utc
from server.proctoring_faces import CheckinKey, RaisedFlag
from server.proctoring_rules import ServerFlag

RTP_RATE = 48000  # Opus's RTP clock, whatever the sampling rate inside
VAD_RATE = 16000
VAD_FRAME_BYTES = VAD_RATE // 50 * 2  # 20 ms of 16-bit mono
VAD_FRAME_SECONDS = 0.02
VAD_MODE = 2  # 0 (lenient) to 3 (strict about what counts as speech)


class OpusDecoder:
    """One Opus stream to 16 kHz mono 16-bit PCM (PyAV; keeps the decoder's state)."""

    def __init__(self) -> None:
        import av

        self._av = av
        self._codec = av.CodecContext.create("opus", "r")
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=VAD_RATE)

    def decode(self, payload: bytes) -> bytes:
        """PCM for one payload; b"" if it does not decode (a lost or damaged packet)."""
        try:
            frames = self._codec.decode(self._av.Packet(payload))
        except self._av.error.FFmpegError:
            return b""
        out = bytearray()
        for frame in frames:
            for resampled in self._resampler.resample(frame):
                out += bytes(resampled.planes[0])[: resampled.samples * 2]
        return bytes(out)


@dataclass
class _Voice:
    """One student's stream: decoder, leftover PCM, recent 20 ms verdicts, the episode."""

    decoder: OpusDecoder
    vad: Any
    last_ts: int | None = None
    media_time: float = 0.0  # seconds on the stream's own clock (unwrapped RTP timestamps)
    pcm: bytearray = field(default_factory=bytearray)
    pcm_time: float = 0.0  # media time of pcm[0]
    speech: deque[float] = field(default_factory=deque)  # media times of 20 ms speech frames
    episode_start: float | None = None
    flagged: bool = False
    frames: int = 0


class SpeechCheck:
    """Speech for ``threshold`` seconds within ``window`` seconds: one flag per episode."""

    name = "speech"

    def __init__(self, threshold: float = 3.0, window: float = 5.0, mode: int = VAD_MODE) -> None:
        if not 0 < threshold <= window:
            raise ValueError("the speech threshold must be positive and at most the window")
        self.threshold = threshold
        self.window = window
        self._mode = mode
        self._voices: dict[CheckinKey, _Voice] = {}

    def _voice(self, key: CheckinKey) -> _Voice:
        voice = self._voices.get(key)
        if voice is None:
            import webrtcvad

            voice = _Voice(OpusDecoder(), webrtcvad.Vad(self._mode))
            self._voices[key] = voice
        return voice

    def observe(
        self, key: CheckinKey, payloads: list[tuple[int, bytes]], seen_at: datetime
    ) -> list[RaisedFlag]:
        """Feeds Opus payloads ``(rtp_timestamp, payload)`` received up to ``seen_at``
        (blocking: decoding and VAD; run it in a thread)."""
        voice = self._voice(key)
        raised: list[tuple[float, float]] = []  # (seconds spoken, media time it began)
        for timestamp, payload in payloads:
            self._advance(voice, timestamp)
            pcm = voice.decoder.decode(payload)
            if not voice.pcm:
                voice.pcm_time = voice.media_time
            voice.pcm += pcm
            while len(voice.pcm) >= VAD_FRAME_BYTES:
                chunk = bytes(voice.pcm[:VAD_FRAME_BYTES])
                del voice.pcm[:VAD_FRAME_BYTES]
                voice.frames += 1
                if voice.vad.is_speech(chunk, VAD_RATE):
                    voice.speech.append(voice.pcm_time)
                voice.pcm_time += VAD_FRAME_SECONDS
            spoken = self._update(voice)
            if spoken is not None:
                raised.append(spoken)
        return [self._flag(voice, spoken, start, seen_at) for spoken, start in raised]

    @staticmethod
    def _advance(voice: _Voice, timestamp: int) -> None:
        if voice.last_ts is not None:
            step = (timestamp - voice.last_ts) & 0xFFFFFFFF
            if step >= 0x80000000:
                return  # reordered: counted at the newer packet's time
            voice.media_time += step / RTP_RATE
            if step > RTP_RATE // 10:  # a gap in sending: the PCM before it is stale
                voice.pcm.clear()
        voice.last_ts = timestamp

    def _update(self, voice: _Voice) -> tuple[float, float] | None:
        """Slides the window to the stream's time; if a flag is due now, the seconds spoken and
        the media time the episode began."""
        now = voice.pcm_time
        while voice.speech and voice.speech[0] < now - self.window:
            voice.speech.popleft()
        if not voice.speech:
            voice.episode_start, voice.flagged = None, False
            return None
        if voice.episode_start is None:
            voice.episode_start = voice.speech[0]
        spoken = len(voice.speech) * VAD_FRAME_SECONDS
        if voice.flagged or spoken + 1e-9 < self.threshold:
            return None
        voice.flagged = True
        return spoken, voice.episode_start

    def _flag(self, voice: _Voice, spoken: float, start: float, seen_at: datetime) -> RaisedFlag:
        """The flag, timed on the server's clock: ``seen_at`` is the stream's latest moment."""
        began = seen_at - timedelta(seconds=max(0.0, voice.pcm_time - start))
        evidence = {
            "source": self.name,
            "speech_seconds": round(spoken, 2),
            "window_seconds": self.window,
            "threshold_seconds": self.threshold,
            "since": iso_utc(began),
            "seen_at": iso_utc(seen_at),
        }
        detail = f"speech for {spoken:.1f} s within {self.window:g} s"
        return RaisedFlag(ServerFlag.SPEECH_DETECTED, began, detail, evidence)

    def forget(self, key: CheckinKey) -> None:
        self._voices.pop(key, None)

    def forget_session(self, session_id: int) -> None:
        """Drops every stream of one exam (speech became allowed there)."""
        for key in list(self._voices):  # a copy: worker threads may add streams meanwhile
            if key[0] == session_id:
                self._voices.pop(key, None)
