"""A jitter buffer for recording: reorders packets, waits a little for missing ones, assembles
frames, and after a loss drops what would not decode.

Unlike a player's jitter buffer it never has to keep up with a display: it may wait
``max_wait`` seconds for a missing packet (a NACK retransmission usually fills it), and when the
packet does not come it gives it up:

- audio: the frame is missing (processing fills the gap with silence);
- video: the broken frame and every frame after it are dropped until the next keyframe, and
  ``keyframe_wanted`` is set so that the recorder asks the publisher for one. A P-frame written
  after a loss would decode into garbage for the rest of the group of pictures.
"""

from __future__ import annotations

from dataclasses import dataclass

from recordings.depacketize import Depacketizer, MalformedPayload

MAX_JUMP = 3000  # sequence numbers: further away than this is a new stream, not reordering


@dataclass(frozen=True, slots=True)
class Frame:
    """One encoded frame: RTP timestamp (unwrapped), arrival time of its last packet."""

    data: bytes
    timestamp: int
    keyframe: bool
    arrival: float


@dataclass
class JitterStats:
    """What happened on the way in; kept in the segment index for the operator."""

    packets: int = 0
    frames: int = 0
    lost: int = 0
    late: int = 0
    duplicates: int = 0
    dropped_frames: int = 0
    malformed: int = 0
    resets: int = 0


class _Packet:
    __slots__ = ("arrival", "marker", "payload", "timestamp")

    def __init__(self, timestamp: int, marker: bool, payload: bytes, arrival: float) -> None:
        self.timestamp = timestamp
        self.marker = marker
        self.payload = payload
        self.arrival = arrival


def unwrap(value: int, reference: int | None, bits: int) -> int:
    """``value`` (mod 2**bits) as the number closest to ``reference``."""
    if reference is None:
        return value
    span = 1 << bits
    half = span >> 1
    return reference + ((value - reference + half) % span) - half


class JitterBuffer:
    """Per track: packets in (any order), complete frames out (in order)."""

    def __init__(self, depacketizer: Depacketizer, max_wait: float = 0.25) -> None:
        self._codec = depacketizer
        self._video = depacketizer.video
        self._max_wait = max_wait
        self._packets: dict[int, _Packet] = {}
        self._next: int | None = None
        self._highest: int | None = None
        self._ts_reference: int | None = None
        self._gap_since: float | None = None
        self._partial: list[bytes] = []
        self._partial_ts: int | None = None
        self._partial_arrival = 0.0
        self._skip_ts: int | None = None
        # Video starts "broken": the first frame written must be a keyframe.
        self._broken = self._video
        self.keyframe_wanted = self._video
        self.stats = JitterStats()

    def push(
        self, sequence: int, timestamp: int, marker: bool, payload: bytes, now: float
    ) -> list[Frame]:
        """Add one RTP packet; returns the frames it completes (maybe none)."""
        self.stats.packets += 1
        highest, reference = self._highest, self._ts_reference
        # unwrap() inlined: this runs for every packet
        seq = (
            sequence
            if highest is None
            else highest + ((sequence - highest + 0x8000) & 0xFFFF) - 0x8000
        )
        ts = (
            timestamp
            if reference is None
            else reference + ((timestamp - reference + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        )
        if self._next is None or abs(seq - self._next) > MAX_JUMP:
            self._reset(seq)
        if seq < self._next_seq:
            self.stats.late += 1
            return []
        self._ts_reference = ts
        if seq == self._next and not self._packets:
            # The usual case: in order and nothing waiting, so nothing to buffer.
            if highest is None or seq > highest:
                self._highest = seq
            self._next = seq + 1
            self._gap_since = None
            out: list[Frame] = []
            self._take(ts, marker, payload, now, out)
            return out
        if seq in self._packets:
            self.stats.duplicates += 1
            return []
        self._highest = seq if self._highest is None else max(self._highest, seq)
        self._packets[seq] = _Packet(ts, marker, payload, now)
        return self._drain(now)

    def flush(self, now: float) -> list[Frame]:
        """Give up on packets waited for too long (call this now and then)."""
        return self._drain(now)

    def finish(self) -> list[Frame]:
        """The stream ended: whatever complete frames are buffered."""
        out = self._drain(float("inf"))
        return out

    @property
    def _next_seq(self) -> int:
        assert self._next is not None
        return self._next

    def _reset(self, seq: int) -> None:
        if self._next is not None:
            self.stats.resets += 1
        self._packets.clear()
        self._next = seq
        self._highest = seq
        self._gap_since = None
        self._drop_partial()
        self._broken = self._video
        self.keyframe_wanted = self._video

    def _drain(self, now: float) -> list[Frame]:
        out: list[Frame] = []
        while self._packets:
            packet = self._packets.pop(self._next_seq, None)
            if packet is None:
                if self._gap_since is None:
                    self._gap_since = now
                if now - self._gap_since < self._max_wait:
                    break
                self._lose()
                continue
            self._gap_since = None
            self._next = self._next_seq + 1
            self._take(packet.timestamp, packet.marker, packet.payload, packet.arrival, out)
        return out

    def _lose(self) -> None:
        first = min(self._packets)
        self.stats.lost += first - self._next_seq
        self._next = first
        self._gap_since = None
        if self._partial_ts is not None:
            self._skip_ts = self._partial_ts
            self.stats.dropped_frames += 1
        self._drop_partial()
        if self._video:
            self._broken = True
            self.keyframe_wanted = True

    def _take(
        self, timestamp: int, marker: bool, payload: bytes, arrival: float, out: list[Frame]
    ) -> None:
        if timestamp == self._skip_ts:
            return
        if self._partial_ts is not None and timestamp != self._partial_ts:
            # A new timestamp ends the previous frame even if its marker was lost.
            self._emit(out)
        if self._partial_ts is None:
            if self._video and not self._codec.starts_frame(payload):
                # The frame's first packet is gone: the rest of it is useless.
                self._skip_ts = timestamp
                self.stats.dropped_frames += 1
                self._broken = True
                self.keyframe_wanted = True
                return
            self._skip_ts = None
            self._partial_ts = timestamp
        self._partial.append(payload)
        self._partial_arrival = arrival
        if marker or not self._video:
            self._emit(out)

    def _emit(self, out: list[Frame]) -> None:
        payloads, ts, arrival = self._partial, self._partial_ts, self._partial_arrival
        self._drop_partial()
        assert ts is not None
        try:
            data, keyframe = self._codec.assemble(payloads)
        except MalformedPayload:
            self.stats.malformed += 1
            self._broken = self._video
            self.keyframe_wanted = self._video
            return
        if self._broken and not keyframe:
            self.stats.dropped_frames += 1
            return
        self._broken = False
        self.stats.frames += 1
        out.append(Frame(data, ts, keyframe, arrival))

    def _drop_partial(self) -> None:
        self._partial = []
        self._partial_ts = None
