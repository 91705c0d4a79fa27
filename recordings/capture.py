"""One received track on its way to disk: jitter buffer, session clock, segment boundaries.

Runs on the event loop inside the receive path, so it does little per packet: reorder, assemble
a frame now and then, and queue it for the writer thread.

Session clock: every track's RTP time is mapped onto the recorder's wall clock (seconds since
the recording began) with the smallest transit seen in the track's first seconds: arrival time
minus media time, at its minimum, is the publisher's capture clock plus the shortest path. The
SFU gives every track of one publisher the same clock base and keeps timestamps continuous
across source switches, so tracks captured at the same instant land at (nearly) the same session
time and stay there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from recordings.depacketize import depacketizer_for
from recordings.jitter import Frame, JitterBuffer
from recordings.segments import SegmentWriter, TrackInfo

SETTLE_SECONDS = 2.0  # the transit minimum is learnt this long, then the mapping is fixed
KEYFRAME_RETRY = 1.0  # seconds between keyframe requests while one is awaited

RequestKeyframe = Callable[[], None]  # asks the publisher for a keyframe; must not block


class SessionClock:
    """Maps one track's RTP timestamps to seconds since the recording began."""

    def __init__(self, clock_rate: int, origin: float) -> None:
        self._rate = clock_rate
        self._origin = origin
        self._offset: float | None = None
        self._settle_until = 0.0

    def at(self, timestamp: int, arrival: float) -> float:
        media = timestamp / self._rate
        observed = arrival - self._origin - media
        if self._offset is None:
            self._offset = observed
            self._settle_until = arrival + SETTLE_SECONDS
        elif arrival < self._settle_until and observed < self._offset:
            self._offset = observed
        return media + self._offset


class TrackRecorder:
    """Frames of one track into segments of about ``segment_seconds`` each.

    Video segments start at a keyframe: when a segment is long enough the recorder asks the
    publisher for a keyframe and rolls over when it arrives. Audio rolls over at the length.
    """

    def __init__(
        self,
        info: TrackInfo,
        clock_rate: int,
        origin: float,
        writer: SegmentWriter,
        request_keyframe: RequestKeyframe,
        segment_seconds: float,
        now: Callable[[], float],
    ) -> None:
        self.info = info
        self._codec = depacketizer_for(info.mime_type)
        self._buffer = JitterBuffer(self._codec)
        self._clock = SessionClock(clock_rate, origin)
        self._writer = writer
        self._request = request_keyframe
        self._length = segment_seconds
        self._now = now
        self._segment = 0
        self._segment_start: float | None = None
        self._last_at = 0.0
        self._asked_at = -1e9
        self.closed = False

    @property
    def video(self) -> bool:
        return self._codec.video

    @property
    def stats(self) -> dict[str, int]:
        return asdict(self._buffer.stats)

    def on_packet(self, sequence: int, timestamp: int, marker: bool, payload: bytes) -> None:
        """One RTP packet, straight from the socket callback: kept cheap and synchronous."""
        if self.closed:
            return
        now = self._now()
        frames = self._buffer.push(sequence, timestamp, marker, payload, now)
        self._handle(frames, now)

    def tick(self) -> None:
        """Called now and then: gives up on lost packets, repeats keyframe requests."""
        if not self.closed:
            now = self._now()
            self._handle(self._buffer.flush(now), now)

    def finish(self) -> None:
        """The track is gone (or the recorder stops): write what is buffered, close the file."""
        if self.closed:
            return
        for frame in self._buffer.finish():
            self._write(frame)
        self.closed = True
        if self._segment_start is not None:
            self._writer.close(self.info.key, self._last_at, self.stats)
            self._segment_start = None

    def _handle(self, frames: list[Frame], now: float) -> None:
        for frame in frames:
            self._write(frame)
        if self.video and self._wants_keyframe() and now - self._asked_at >= KEYFRAME_RETRY:
            self._asked_at = now
            self._buffer.keyframe_wanted = False
            self._request()

    def _wants_keyframe(self) -> bool:
        if self._buffer.keyframe_wanted or self._segment_start is None:
            return True
        return self._last_at - self._segment_start >= self._length

    def _write(self, frame: Frame) -> None:
        at = self._clock.at(frame.timestamp, frame.arrival)
        start = self._segment_start
        due = start is None or at - start >= self._length
        if due and (frame.keyframe or not self.video):
            if start is not None:
                self._writer.close(self.info.key, at, self.stats)
            self._segment += 1
            self._segment_start = at
            self._writer.open(self.info, self._segment, at, frame.data)
        if self._segment_start is None:
            return  # video waits for its first keyframe
        self._writer.frame(self.info.key, frame.data, at, frame.keyframe)
        self._last_at = at
