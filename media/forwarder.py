"""Fan-out of one published track's RTP to its subscribers' downtracks.

The forwarder keeps the per-track state: a packet cache for NACKs, the keyframe-request
coalescer, the publisher's last sender report. Per-subscriber state lives in `Downtrack`.
I/O goes through small callables (send bytes, send a PLI upstream, read the clock), so the logic
is tested without sockets.
"""

from __future__ import annotations

import asyncio
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
from media.tap import PacketTap

logger = logging.getLogger(__name__)

KEYFRAME_REQUEST_INTERVAL = 0.3
NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01

Clock = Callable[[], float]
SendPli = Callable[[int], Awaitable[None]]


async def _no_pli(media_ssrc: int) -> None:
    """The PLI sender of a retired track: there is no publisher to ask any more."""


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

    def claim(self, media_ssrc: int | None) -> bool:
        """May a request for `media_ssrc` go out now? Counts it as sent (or coalesced)."""
        if media_ssrc is None:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            self.coalesced += 1
            return False
        self._last = now
        self.sent += 1
        return True

    async def request(self, media_ssrc: int | None) -> bool:
        """Send a PLI for `media_ssrc` unless one went out less than `interval` ago."""
        if not self.claim(media_ssrc):
            return False
        assert media_ssrc is not None
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
        replay_window: float = KEYFRAME_REQUEST_INTERVAL,
    ) -> None:
        self.mime_type = mime_type
        self._detect = keyframe_detector(mime_type)
        self._clock = clock
        self._wall_clock = wall_clock
        self._send_pli = send_pli
        self._requester = KeyframeRequester(send_pli, clock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_keyframe_request = on_keyframe_request
        self._cache = PacketCache(cache_size)
        self._downtracks: list[Downtrack] = []
        self.media_ssrc: int | None = None
        self.muted = False
        self.last_sender_report: SenderReport | None = None
        self.packets_in = 0
        self.keyframes_in = 0
        self.keyframe_replays = 0
        self._replay_window = replay_window
        self._highest_seq: int | None = None
        self._keyframe_seq: int | None = None  # where the last keyframe forwarded began
        self._keyframe_at = 0.0
        self.tap: PacketTap | None = None  # a server-side observer (media.tap), if any

    def retire(self) -> None:
        """The track is unpublished: let go of the publisher's connection (the PLI sender holds
        its receiver) and of the room's callback. A subscriber's downtrack keeps its previous
        source for NACKs a little longer; it then holds only this forwarder and its cache, not
        a closed peer connection."""
        self._send_pli = _no_pli
        self._requester._send_pli = _no_pli
        self._on_keyframe_request = None

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
        """Make this track the source of `downtrack` (detaching it from any previous source).
        A video downtrack starts at a keyframe: the last one, replayed from the cache, if it
        began less than `replay_window` ago, else a new one, requested at once (coalesced: a
        burst of joins shares one keyframe)."""
        if downtrack not in self._downtracks:
            self._downtracks.append(downtrack)
        downtrack.attach(self)
        wants_keyframe = downtrack.gated and self.is_video and not self.muted
        if wants_keyframe and not self._replay_keyframe(downtrack):
            self._request_keyframe_soon()

    def _replay_keyframe(self, downtrack: Downtrack) -> bool:
        """Start `downtrack` at the recent keyframe: it and every packet since go out now."""
        start, last, now = self._keyframe_seq, self._highest_seq, self._clock()
        if start is None or last is None or now - self._keyframe_at >= self._replay_window:
            return False
        count = ((last - start) & 0xFFFF) + 1
        first = self._cache.get(start)
        if first is None or count > self._cache.size:
            return False
        send_time = abs_send_time(self._wall_clock())
        for i in range(count):
            packet = first if i == 0 else self._cache.get((start + i) & 0xFFFF)
            if packet is None:
                continue  # lost upstream: the subscriber NACKs it, answered once it is cached
            data = downtrack.rewrite(packet, self, i == 0, now, PacketWriter(packet, send_time))
            if data is not None:
                self._deliver(downtrack, data)
        self.keyframe_replays += 1
        return True

    def _request_keyframe_soon(self) -> None:
        """A keyframe request from synchronous code: decided now, sent by a task."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the first packet that finds the downtrack waiting will ask
        media_ssrc = self.media_ssrc
        if media_ssrc is None or not self._requester.claim(media_ssrc):
            return
        if self._on_keyframe_request is not None:
            self._on_keyframe_request()
        task = loop.create_task(self._send_pli_to(media_ssrc))
        self._tasks.add(task)
        task.add_done_callback(self._request_done)

    async def _send_pli_to(self, media_ssrc: int) -> None:
        await self._send_pli(media_ssrc)

    def _request_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.debug("keyframe request failed: %s", task.exception())

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
        self._keyframe_seq = None  # never replay what came in before or during a mute

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
        tap = self.tap
        if tap is not None and tap.wanted:
            tap.on_rtp(packet)
        seq, highest = packet.sequence_number, self._highest_seq
        if highest is None or 0 < ((seq - highest) & 0xFFFF) < 0x8000:
            self._highest_seq = seq
        if self.muted:
            return
        keyframe = self._detect is not None and self._detect(packet.payload)
        now = self._clock()
        if keyframe:
            self.keyframes_in += 1
            if self._highest_seq == seq:  # not a late retransmission
                self._keyframe_seq, self._keyframe_at = seq, now
        writer = PacketWriter(packet, abs_send_time(self._wall_clock()))
        starving = False
        # The fan-out: per subscriber a header patch, SRTP and a non-blocking sendto, all
        # synchronous (no task, future or coroutine per subscriber).
        for downtrack in tuple(self._downtracks):
            data = downtrack.rewrite(packet, self, keyframe, now, writer)
            if data is None:
                starving = starving or downtrack.waiting_for_keyframe
                continue
            if downtrack.report_due:
                downtrack.report_due = False
                self._send_last_report(downtrack)  # lip sync from the first packet on
            try:
                sent = downtrack.send(data)
            except Exception as exc:  # one subscriber's failure never stops the fan-out
                sent = _send_failed(downtrack, exc)
            if not sent:
                downtrack.stats.send_failures += 1
        if starving:
            await self.request_keyframe()

    async def on_rtcp(self, packet: AnyRtcpPacket) -> None:
        """RTCP from the publisher routed to this track's receiver (sender reports)."""
        if isinstance(packet, RtcpSrPacket):
            info = packet.sender_info
            self.last_sender_report = SenderReport(info.ntp_timestamp, info.rtp_timestamp)
            for downtrack in tuple(self._downtracks):
                self._send_last_report(downtrack)

    def _deliver(self, downtrack: Downtrack, data: bytes) -> None:
        """Send one rewritten packet (after the sender report a new epoch starts with)."""
        if downtrack.report_due:
            downtrack.report_due = False
            self._send_last_report(downtrack)
        send_isolated(downtrack, data)

    def _send_last_report(self, downtrack: Downtrack) -> None:
        report = self.last_sender_report
        if report is None:
            return
        data = downtrack.sender_report(self, report.ntp_timestamp, report.rtp_timestamp)
        if data is not None:
            send_isolated(downtrack, data)


def _send_failed(downtrack: Downtrack, exc: Exception) -> bool:
    logger.debug("send to subscriber stream %d failed: %s", downtrack.params.ssrc, exc)
    return False


def send_isolated(downtrack: Downtrack, data: bytes) -> None:
    """Send to one subscriber; a failure there never stops the fan-out to the others."""
    try:
        sent = downtrack.send(data)
    except Exception as exc:
        sent = _send_failed(downtrack, exc)
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
                send_isolated(downtrack, data)
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
