"""A per-track ring of recent RTP packets, keyed by the publisher's sequence number."""

from __future__ import annotations

from media.aiortc_hooks import RtpPacket


class PacketCache:
    """Answers subscriber NACKs without going upstream. Fixed size: memory never grows."""

    def __init__(self, size: int = 512) -> None:
        if size <= 0:
            raise ValueError("cache size must be positive")
        self._size = size
        self._slots: list[RtpPacket | None] = [None] * size

    @property
    def size(self) -> int:
        return self._size

    def put(self, packet: RtpPacket) -> None:
        self._slots[packet.sequence_number % self._size] = packet

    def get(self, sequence_number: int) -> RtpPacket | None:
        packet = self._slots[sequence_number % self._size]
        if packet is None or packet.sequence_number != sequence_number:
            return None
        return packet

    def clear(self) -> None:
        self._slots = [None] * self._size
