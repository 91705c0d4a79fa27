"""Fan-out of one published track's RTP to its subscribers' downtracks.

The forwarder keeps the per-track state: a packet cache for NACKs, the keyframe-request
coalescer, the publisher's last sender report. Per-subscriber state lives in `Downtrack`.
I/O goes through small callables (send bytes, send a PLI upstream, read the clock), so the logic
is tested without sockets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from media.aiortc_hooks import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    unpack_remb_fci,
)
from media.downtrack import Downtrack, PacketWriter
from media.keyframes import keyframe_detector
from media.packet_cache import PacketCache

logger = logging.getLogger(__name__)

KEYFRAME_REQUEST_INTERVAL = 0.3
NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01

Clock = Callable[[], float]
SendPli = Callable[[int], Awaitable[None]]


def ntp_time(unix_time: float) -> int:
    """64-bit NTP timestamp for a Unix time."""
    return int((unix_time + NTP_EPOCH_OFFSET) * (1 << 32))


def abs_send_time(unix_time: float) -> int:
    """The 24-bit abs-send-time header extension value (6.18 fixed-point seconds)."""
    return (ntp_time(unix_time) >> 14) & 0x00FFFFFF


class KeyframeRequester:
    """At most one upstream keyframe request per `interval` seconds; the rest are coalesced."""

    def __init__(
        self, send_pli: SendPli, clock: Clock, interval: float = KEYFRAME_REQUEST_INTERVAL
    ) -> None:
        self._send_pli = send_pli
        self._clock = clock
        self._interval = interval
        self._last: float | None = None
        self.sent = 0
        self.coalesced = 0

    async def request(self, media_ssrc: int | None) -> bool:
        """Send a PLI for `media_ssrc` unless one went out less than `interval` ago."""
        if media_ssrc is None:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            self.coalesced += 1
            return False
        self._last = now
        self.sent += 1
        await self._send_pli(media_ssrc)
        return True


@dataclass(frozen=True)
class SenderReport:
    ntp_timestamp: int
    rtp_timestamp: int


class TrackForwarder:
    """Forwards one published track (one upstream SSRC) to any number of downtracks."""

    def __init__(
        self,
        mime_type: str,
        send_pli: SendPli,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        cache_size: int = 512,
        on_keyframe_request: Callable[[], None] | None = None,
    ) -> None:
        self.mime_type = mime_type
        self._detect = keyframe_detector(mime_type)
        self._clock = clock
        self._wall_clock = wall_clock
        self._requester = KeyframeRequester(send_pli, clock)
        self._on_keyframe_request = on_keyframe_request
        self._cache = PacketCache(cache_size)
        self._downtracks: list[Downtrack] = []
        self.media_ssrc: int | None = None
        self.muted = False
        self.last_sender_report: SenderReport | None = None
        self.packets_in = 0
        self.keyframes_in = 0

    @property
    def cache(self) -> PacketCache:
        return self._cache

    @property
    def is_video(self) -> bool:
        return self._detect is not None

    @property
    def downtracks(self) -> tuple[Downtrack, ...]:
        return tuple(self._downtracks)

    @property
    def keyframe_requests_sent(self) -> int:
        return self._requester.sent

    @property
    def keyframe_requests_coalesced(self) -> int:
        return self._requester.coalesced

    def attach(self, downtrack: Downtrack) -> None:
        """Make this track the source of `downtrack` (detaching it from any previous source)."""
        if downtrack not in self._downtracks:
            self._downtracks.append(downtrack)
        downtrack.attach(self)

    def detach(self, downtrack: Downtrack) -> None:
        if downtrack in self._downtracks:
            self._downtracks.remove(downtrack)
        if downtrack.source is self:
            downtrack.attach(None)

    def set_muted(self, muted: bool) -> None:
        """While muted nothing is forwarded; unmuting opens a new epoch on every downtrack."""
        if self.muted and not muted:
            for downtrack in self._downtracks:
                downtrack.restart()
        self.muted = muted

    async def request_keyframe(self) -> bool:
        if not self.is_video:
            return False
        sent = await self._requester.request(self.media_ssrc)
        if sent and self._on_keyframe_request is not None:
            self._on_keyframe_request()
        return sent

    async def on_rtp(self, packet: RtpPacket) -> None:
        self.media_ssrc = packet.ssrc
        self.packets_in += 1
        self._cache.put(packet)
        if self.muted:
            return
        keyframe = self._detect is not None and self._detect(packet.payload)
        self.keyframes_in += keyframe
        now = self._clock()
        writer = PacketWriter(packet, abs_send_time(self._wall_clock()))
        starving = False
        for downtrack in tuple(self._downtracks):
            data = downtrack.rewrite(packet, self, keyframe, now, writer)
            if data is None:
                starving = starving or downtrack.waiting_for_keyframe
                continue
            epoch = downtrack.epoch
            if epoch is not None and epoch.first_in_seq == packet.sequence_number:
                await self._send_last_report(downtrack)  # lip sync from the first packet on
            await send_isolated(downtrack, data)
        if starving:
            await self.request_keyframe()

    async def on_rtcp(self, packet: AnyRtcpPacket) -> None:
        """RTCP from the publisher routed to this track's receiver (sender reports)."""
        if isinstance(packet, RtcpSrPacket):
            info = packet.sender_info
            self.last_sender_report = SenderReport(info.ntp_timestamp, info.rtp_timestamp)
            for downtrack in tuple(self._downtracks):
                await self._send_last_report(downtrack)

    async def _send_last_report(self, downtrack: Downtrack) -> None:
        report = self.last_sender_report
        if report is None:
            return
        data = downtrack.sender_report(self, report.ntp_timestamp, report.rtp_timestamp)
        if data is not None:
            await send_isolated(downtrack, data)


async def send_isolated(downtrack: Downtrack, data: bytes) -> None:
    """Send to one subscriber; a failure there never stops the fan-out to the others."""
    try:
        sent = await downtrack.send(data)
    except Exception as exc:
        sent = False
        logger.debug("send to subscriber stream %d failed: %s", downtrack.params.ssrc, exc)
    if not sent:
        downtrack.stats.send_failures += 1


async def handle_subscriber_rtcp(downtrack: Downtrack, packet: AnyRtcpPacket, now: float) -> None:
    """RTCP a subscriber sent about `downtrack`: NACKs are answered from the source's cache,
    PLI/FIR become (coalesced) upstream keyframe requests, RR/REMB are kept as stats."""
    if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
        send_time = abs_send_time(now)
        for seq in packet.lost:
            data = downtrack.retransmission(seq, send_time)
            if data is not None:
                await send_isolated(downtrack, data)
    elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
        downtrack.stats.keyframe_requests += 1
        source = downtrack.source
        if source is not None:
            await source.request_keyframe()
    elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
        try:
            bitrate, _ = unpack_remb_fci(packet.fci)
        except ValueError:
            return
        downtrack.stats.remb_bitrate = bitrate
    elif isinstance(packet, RtcpRrPacket | RtcpSrPacket):
        for report in packet.reports:
            if report.ssrc == downtrack.params.ssrc:
                downtrack.stats.fraction_lost = report.fraction_lost
                downtrack.stats.jitter = report.jitter
