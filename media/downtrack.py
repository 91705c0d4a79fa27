"""One subscriber's outgoing stream: SSRC/PT/sequence/timestamp rewriting with continuity.

A downtrack is fed by one source (a published track) at a time. Each time its source changes,
or forwarding resumes after a mute, a new *epoch* starts: the first accepted packet of the epoch
gets the next outgoing sequence number, and a timestamp advanced by the wall-clock gap since the
last packet sent. A subscriber therefore sees one continuous stream while the floor passes from
speaker to speaker. Video epochs start only at a keyframe.

Pure logic: the caller passes packets and the time, and gets bytes to send.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol

from media.aiortc_hooks import (
    HeaderExtensions,
    HeaderExtensionsMap,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
)
from media.packet_cache import PacketCache

SEQ_MASK = 0xFFFF
TS_MASK = 0xFFFFFFFF
EPOCHS_KEPT = 2

# Synchronous: protect and hand to the socket; False when not connected.
Send = Callable[[bytes], bool]


def seq_newer(a: int, b: int) -> bool:
    """Is 16-bit sequence number `a` after `b` (RFC 3550 wrap-around)?"""
    return a != b and ((a - b) & SEQ_MASK) < 0x8000


class Source(Protocol):
    """What a downtrack needs from the published track feeding it."""

    @property
    def cache(self) -> PacketCache: ...

    async def request_keyframe(self) -> bool: ...


@dataclass(frozen=True)
class StreamParams:
    """The negotiated identity of the subscriber's stream. `extensions_key` identifies the
    header-extension ids by value, so streams negotiated alike share serialized packets."""

    ssrc: int
    payload_type: int
    clock_rate: int
    mid: str | None = None
    extensions: HeaderExtensionsMap = field(default_factory=HeaderExtensionsMap)
    extensions_key: Hashable = None

    @property
    def shape(self) -> Hashable:
        key = self.extensions_key if self.extensions_key is not None else id(self.extensions)
        return (self.payload_type, self.mid, key)


SEQ_TS_SSRC = struct.Struct("!HLL")  # bytes 2..12 of the RTP header


class PacketWriter:
    """Serializes one incoming packet once per stream shape (payload type, mid, extension ids);
    for each subscriber only the sequence number, timestamp and SSRC are patched into a copy of
    those bytes (`test_downtrack_fastpath.py` checks this equals a full serialization)."""

    __slots__ = ("_packet", "_send_time", "_templates")

    def __init__(self, packet: RtpPacket, send_time: int) -> None:
        self._packet = packet
        self._send_time = send_time
        self._templates: dict[Hashable, bytearray] = {}

    def write(self, params: StreamParams, seq: int, ts: int, shape: Hashable = None) -> bytes:
        """`shape`: `params.shape`, when the caller has it at hand."""
        if shape is None:
            shape = params.shape
        template = self._templates.get(shape)
        if template is None:
            data = serialize(self._packet, params, seq, ts, self._send_time)
            self._templates[shape] = bytearray(data)
            return data
        SEQ_TS_SSRC.pack_into(template, 2, seq, ts, params.ssrc)
        return bytes(template)


def serialize(packet: RtpPacket, params: StreamParams, seq: int, ts: int, send_time: int) -> bytes:
    out = RtpPacket(
        payload_type=params.payload_type,
        marker=packet.marker,
        sequence_number=seq,
        timestamp=ts,
        ssrc=params.ssrc,
        payload=packet.payload,
    )
    out.padding_size = packet.padding_size
    out.extensions = HeaderExtensions(
        mid=params.mid,
        abs_send_time=send_time,
        audio_level=packet.extensions.audio_level,
    )
    return out.serialize(params.extensions)


@dataclass(frozen=True, slots=True)
class Epoch:
    source: Source
    seq_offset: int
    ts_offset: int
    first_in_seq: int
    first_out_seq: int


@dataclass(slots=True)
class DowntrackStats:
    packets_sent: int = 0
    octets_sent: int = 0
    dropped_waiting_keyframe: int = 0
    nacked: int = 0
    retransmitted: int = 0
    keyframe_requests: int = 0
    send_failures: int = 0
    fraction_lost: int = 0
    jitter: int = 0
    remb_bitrate: int | None = None


class Downtrack:
    """Per-packet state is kept in plain attributes so `rewrite` (once per packet per
    subscriber) does a handful of integer operations; `_current` is the open epoch, None while
    the stream waits for its first usable packet (after a source switch, a mute, or at start)."""

    __slots__ = (
        "_current",
        "_epochs",
        "_last_out_seq",
        "_last_out_ts",
        "_last_sent_at",
        "_shape",
        "_source",
        "gated",
        "params",
        "report_due",
        "send",
        "stats",
    )

    def __init__(
        self,
        params: StreamParams,
        send: Send,
        *,
        gated: bool,
        initial_seq: int | None = None,
        initial_ts: int | None = None,
    ) -> None:
        self.params = params
        self.send = send
        self.gated = gated
        self.stats = DowntrackStats()
        self.report_due = False  # a new epoch started: send it the last sender report
        self._shape = params.shape
        self._source: Source | None = None
        self._epochs: list[Epoch] = []
        self._current: Epoch | None = None
        seq = random.randrange(0x8000) if initial_seq is None else initial_seq
        self._last_out_seq = (seq - 1) & SEQ_MASK
        self._last_out_ts = random.randrange(1 << 32) if initial_ts is None else initial_ts
        self._last_sent_at: float | None = None

    @property
    def source(self) -> Source | None:
        return self._source

    @property
    def epoch(self) -> Epoch | None:
        return self._epochs[-1] if self._epochs else None

    @property
    def waiting_for_keyframe(self) -> bool:
        return self.gated and self._source is not None and self._current is None

    def attach(self, source: Source | None) -> None:
        """Switch the source behind this stream; the next epoch starts at its next usable packet."""
        self._source = source
        self._current = None

    def restart(self) -> None:
        """Start a new epoch from the same source (after a mute): no sequence gap is left."""
        self._current = None

    def rewrite(
        self,
        packet: RtpPacket,
        source: Source,
        keyframe_start: bool,
        now: float,
        writer: PacketWriter,
    ) -> bytes | None:
        """Bytes to send to the subscriber for `packet`, or None to drop it."""
        if source is not self._source:
            return None
        epoch = self._current
        if epoch is None:
            if self.gated and not keyframe_start:
                self.stats.dropped_waiting_keyframe += 1
                return None
            epoch = self._start_epoch(packet, source, now)
        seq = packet.sequence_number
        behind = (epoch.first_in_seq - seq) & SEQ_MASK
        if behind and behind < 0x8000:
            return None  # older than the epoch: would collide with the previous one
        out_seq = (seq + epoch.seq_offset) & SEQ_MASK
        out_ts = (packet.timestamp + epoch.ts_offset) & TS_MASK
        ahead = (out_seq - self._last_out_seq) & SEQ_MASK
        if ahead and ahead < 0x8000:
            self._last_out_seq = out_seq
            self._last_out_ts = out_ts
            self._last_sent_at = now
        stats = self.stats
        stats.packets_sent += 1
        stats.octets_sent += len(packet.payload)
        return writer.write(self.params, out_seq, out_ts, self._shape)

    def retransmission(self, out_seq: int, send_time: int) -> bytes | None:
        """The packet a subscriber NACKed (by its rewritten number), from the source's cache."""
        self.stats.nacked += 1
        if seq_newer(out_seq, self._last_out_seq):
            return None
        for epoch in reversed(self._epochs):
            if not seq_newer(epoch.first_out_seq, out_seq):
                cached = epoch.source.cache.get((out_seq - epoch.seq_offset) & SEQ_MASK)
                if cached is None:
                    return None
                self.stats.retransmitted += 1
                ts = (cached.timestamp + epoch.ts_offset) & TS_MASK
                return serialize(cached, self.params, out_seq, ts, send_time)
        return None

    def sender_report(self, source: Source, ntp_timestamp: int, rtp_timestamp: int) -> bytes | None:
        """The publisher's NTP↔RTP mapping, translated into this stream's timestamp space."""
        epoch = self.epoch
        if epoch is None or epoch.source is not source or source is not self._source:
            return None
        report = RtcpSrPacket(
            ssrc=self.params.ssrc,
            sender_info=RtcpSenderInfo(
                ntp_timestamp=ntp_timestamp,
                rtp_timestamp=(rtp_timestamp + epoch.ts_offset) & TS_MASK,
                packet_count=self.stats.packets_sent & TS_MASK,
                octet_count=self.stats.octets_sent & TS_MASK,
            ),
        )
        return bytes(report)

    def _start_epoch(self, packet: RtpPacket, source: Source, now: float) -> Epoch:
        gap = 1
        if self._last_sent_at is not None:
            gap = max(1, round((now - self._last_sent_at) * self.params.clock_rate))
        first_out_seq = (self._last_out_seq + 1) & SEQ_MASK
        epoch = Epoch(
            source=source,
            seq_offset=(first_out_seq - packet.sequence_number) & SEQ_MASK,
            ts_offset=(self._last_out_ts + gap - packet.timestamp) & TS_MASK,
            first_in_seq=packet.sequence_number,
            first_out_seq=first_out_seq,
        )
        self._epochs.append(epoch)
        del self._epochs[:-EPOCHS_KEPT]
        self._current = epoch
        self.report_due = True
        return epoch
