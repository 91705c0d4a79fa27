"""Taps: a server-side observer's view of one published track's RTP, beside the fan-out.

The forwarder shows a packet to its tap only while ``tap.wanted`` is true, so a tap that is not
collecting costs the forwarding path two attribute checks per packet. Nothing here decodes: a
``KeyframeTap`` hands over the packets of one whole keyframe when asked for one (the observer
requests the keyframe upstream); a ``StreamTap`` hands every payload to a bounded queue that the
observer drains at its own pace (the microphone for speech detection). The taps run on the event
loop inside ``on_rtp`` and never block or raise into it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from media.aiortc_hooks import RtpPacket
from media.keyframes import keyframe_detector

logger = logging.getLogger(__name__)

FrameReady = Callable[[list[RtpPacket]], None]
MAX_FRAME_PACKETS = 400  # a 1080p keyframe is ~100-200 packets; more is not a frame we want
MAX_QUEUED_PAYLOADS = 500  # 10 s of 20 ms audio: older payloads are dropped, never buffered


class KeyframeTap:
    """Collects the packets of the next keyframe after ``want()``, then stops looking.

    A keyframe's packets share one RTP timestamp and the last has the marker bit; they are handed
    over in sequence order once the run from the first to the marker has no hole (a hole, or a
    new timestamp before the marker, drops the collection and waits for the next keyframe)."""

    def __init__(self, mime_type: str, on_frame: FrameReady) -> None:
        detect = keyframe_detector(mime_type)
        if detect is None:
            raise ValueError(f"{mime_type} is not a video codec with keyframes")
        self._is_keyframe_start = detect
        self._on_frame = on_frame
        self.wanted = False
        self._timestamp: int | None = None
        self._packets: dict[int, RtpPacket] = {}
        self._ended = False  # the marker (the frame's last packet) has arrived
        self.frames = 0
        self.dropped = 0

    def want(self) -> None:
        """Look for the next keyframe (the caller asks the publisher for one)."""
        self.wanted = True
        self._timestamp, self._packets, self._ended = None, {}, False

    def cancel(self) -> None:
        self.wanted = False
        self._timestamp, self._packets, self._ended = None, {}, False

    def on_rtp(self, packet: RtpPacket) -> None:
        if self._timestamp is None:
            if not self._is_keyframe_start(packet.payload):
                return
            self._timestamp = packet.timestamp
        elif packet.timestamp != self._timestamp:
            if not self._is_keyframe_start(packet.payload):
                return  # a late packet of an earlier frame, or the frame after: wait
            self.dropped += 1  # a new keyframe began before this one completed
            self._timestamp, self._packets, self._ended = packet.timestamp, {}, False
        self._packets[packet.sequence_number] = packet
        if len(self._packets) > MAX_FRAME_PACKETS:
            self.dropped += 1
            self.want()
            return
        self._ended = self._ended or bool(packet.marker)
        if self._ended:
            self._complete()

    def _complete(self) -> None:
        ordered = _in_order(self._packets)
        if ordered is None:
            return  # a hole: a retransmission may still fill it before the next keyframe
        self.cancel()
        self.frames += 1
        try:
            self._on_frame(ordered)
        except Exception:  # the observer's failure never reaches the forwarding path
            logger.exception("keyframe tap consumer failed")


def _in_order(packets: dict[int, RtpPacket]) -> list[RtpPacket] | None:
    """The packets in sequence order (wrapping at 2^16) if they form an unbroken run."""
    seqs = list(packets)
    first = min(seqs, key=lambda s: (s - seqs[0] + 0x8000) & 0xFFFF)
    ordered = []
    for i in range(len(seqs)):
        packet = packets.get((first + i) & 0xFFFF)
        if packet is None:
            return None
        ordered.append(packet)
    if not ordered[-1].marker:
        return None
    return ordered


class StreamTap:
    """Keeps every payload with its RTP timestamp in a bounded queue for a consumer to drain."""

    def __init__(self, max_queued: int = MAX_QUEUED_PAYLOADS) -> None:
        self.wanted = True
        self.queue: deque[tuple[int, bytes]] = deque(maxlen=max_queued)

    def on_rtp(self, packet: RtpPacket) -> None:
        self.queue.append((packet.timestamp, packet.payload))

    def drain(self) -> list[tuple[int, bytes]]:
        """Everything queued since the last drain, oldest first."""
        items = list(self.queue)
        self.queue.clear()
        return items


PacketTap = KeyframeTap | StreamTap
