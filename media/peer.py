"""A participant's two RTCPeerConnections on the server.

- `PublishPeer` receives: the client offers, the server answers. Every receiver is tapped before
  `receive()` so packets go to a forwarder and no decoder ever runs.
- `SubscribePeer` sends: the server offers (and re-offers when slots come and go), the client
  answers. Its senders carry a placeholder track (never encoded); the forwarder writes RTP to the
  sender's DTLS transport.

Two connections per participant keep offers one-directional: no glare.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from media import aiortc_hooks as hooks
from media.downtrack import Downtrack, StreamParams
from media.forwarder import TrackForwarder, handle_subscriber_rtcp
from media.sdp import MediaSection

logger = logging.getLogger(__name__)

StateCallback = Callable[[object, str], None]  # (the peer, its connection state)


class NoOfferError(Exception):
    """An answer arrived while no offer of ours was outstanding."""


def peer_configuration() -> RTCConfiguration:
    """No STUN/TURN servers (aiortc would otherwise contact a public STUN server), one bundle."""
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def _watch(peer: object, pc: RTCPeerConnection, on_state: StateCallback) -> None:
    @pc.on("connectionstatechange")
    def changed() -> None:
        on_state(peer, pc.connectionState)


class PublishPeer:
    """The connection a participant publishes on: the client offers, the server answers."""

    def __init__(self, on_state: StateCallback) -> None:
        self.pc = RTCPeerConnection(peer_configuration())
        self._taps: dict[str, TrackForwarder] = {}
        self.closed = False
        self.ice_ufrag: str | None = None  # the client's, from its first offer
        self.sections: list[MediaSection] = []  # of the last offer applied
        self.intact = True  # False once an offer failed half-way into aiortc
        _watch(self, self.pc, on_state)

    async def answer(self, offer_sdp: str, sections: list[MediaSection]) -> str:
        """Apply the client's (checked) offer and answer it. A failure before aiortc changed
        anything leaves `intact` True: the connection goes on as before."""
        if self.pc.signalingState != "stable":
            raise RuntimeError(f"the connection is in signalling state {self.pc.signalingState}")
        transceivers = len(self.pc.getTransceivers())
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        except Exception:
            # aiortc validates before applying; only a failure half-way leaves traces
            self.intact = self.pc.signalingState == "stable" and transceivers == len(
                self.pc.getTransceivers()
            )
            raise
        self._hook_receivers()  # before any await: receive() runs in a task scheduled above
        try:
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception:
            self.intact = False
            raise
        self.sections = sections
        return self.pc.localDescription.sdp

    def _hook_receivers(self) -> None:
        for transceiver in self.pc.getTransceivers():
            receiver = transceiver.receiver
            mid = transceiver.mid

            async def on_rtp(packet: hooks.RtpPacket, mid: str | None = mid) -> None:
                tap = self._taps.get(mid or "")
                if tap is not None:
                    await tap.on_rtp(packet)

            async def on_rtcp(packet: hooks.AnyRtcpPacket, mid: str | None = mid) -> None:
                tap = self._taps.get(mid or "")
                if tap is not None:
                    await tap.on_rtcp(packet)

            hooks.hook_receiver(receiver, on_rtp, on_rtcp)

    def transceiver(self, mid: str) -> RTCRtpTransceiver:
        for transceiver in self.pc.getTransceivers():
            if transceiver.mid == mid:
                return transceiver
        raise KeyError(mid)

    def negotiated_mime_type(self, mid: str) -> str | None:
        codecs = hooks.negotiated_codecs(self.transceiver(mid))
        media = [c for c in codecs if c.mimeType.lower() != "video/rtx"]
        return media[0].mimeType if media else None

    def receiver(self, mid: str) -> RTCRtpReceiver:
        return self.transceiver(mid).receiver

    def set_tap(self, mid: str, forwarder: TrackForwarder | None) -> None:
        if forwarder is None:
            self._taps.pop(mid, None)
        else:
            self._taps[mid] = forwarder

    async def close(self) -> None:
        self.closed = True
        self._taps.clear()
        await self.pc.close()


@dataclass
class _Outgoing:
    """One m-line of the subscription connection. `live` once the client has answered an offer
    in which it is active: forwarding earlier would reach a receiver that still drops packets
    (and the keyframe with them)."""

    transceiver: RTCRtpTransceiver
    kind: str
    mime_type: str
    slot: str | None = None
    source: TrackForwarder | None = None
    attached: TrackForwarder | None = None
    live: bool = False
    raw_send: Callable[[bytes], bool] = field(default=lambda data: False)
    downtrack: Downtrack | None = None
    info: dict[str, str] = field(default_factory=dict)


class SubscribePeer:
    """The connection a participant receives on: the server offers, the client answers."""

    def __init__(self, on_state: StateCallback) -> None:
        self.pc = RTCPeerConnection(peer_configuration())
        self._outgoing: list[_Outgoing] = []
        self._dirty = False
        self._connected = False
        self._negotiating = asyncio.Lock()  # one offer or answer at a time on this connection
        self.closed = False
        _watch(self, self.pc, on_state)
        self.pc.on("connectionstatechange", self._connection_changed)

    def offered_sections(self) -> int:
        """How many media sections our outstanding (or last) offer has."""
        local = self.pc.localDescription
        return sum(1 for line in local.sdp.splitlines() if line.startswith("m=")) if local else 0

    def slot_names(self) -> list[str]:
        return [o.slot for o in self._outgoing if o.slot is not None]

    def downtrack(self, slot: str) -> Downtrack | None:
        out = self._by_slot(slot)
        return out.downtrack if out else None

    def set_slot(
        self, slot: str, source: TrackForwarder, stream_id: str, info: dict[str, str]
    ) -> bool:
        """Feed `slot` from `source`. Returns True when the connection must be renegotiated
        (a new or re-activated m-line); a source switch on an existing slot needs none."""
        out = self._by_slot(slot)
        renegotiate = out is None
        if out is None:
            out = self._free_outgoing(source) or self._new_outgoing(source)
            out.slot = slot
            out.live = False
            out.transceiver.direction = "sendonly"
            hooks.set_sender_stream_id(out.transceiver.sender, stream_id)
        out.info = info
        self._attach(out, source)
        return renegotiate

    def remove_slot(self, slot: str) -> bool:
        out = self._by_slot(slot)
        if out is None:
            return False
        out.live = False
        self._attach(out, None)
        out.slot = None
        out.info = {}
        out.transceiver.direction = "inactive"
        return True

    def detach_source(self, source: TrackForwarder) -> None:
        for out in self._outgoing:
            if out.source is source:
                self._attach(out, None)

    async def offer(self) -> tuple[str, list[tuple[str, dict[str, str]]]] | None:
        """A new local offer and (mid, slot info) of its active m-lines; None while an offer is
        outstanding (the next answer triggers the re-offer) or once closed. Slots may change
        while this awaits (the room lock is not held): the active m-lines are taken together
        with the SDP, and later changes mark the connection for another offer."""
        async with self._negotiating:
            if self.closed:
                return None
            if self.pc.signalingState != "stable":
                self._dirty = True
                return None
            self._dirty = False
            description = await self.pc.createOffer()  # no await inside: SDP and slots agree
            active = [(o.transceiver, o.info) for o in self._outgoing if o.slot is not None]
            await self.pc.setLocalDescription(description)
            return self.pc.localDescription.sdp, [(t.mid or "", i) for t, i in active]

    async def accept_answer(self, sdp: str) -> bool:
        """Apply the client's answer; True when changes queued meanwhile need a new offer."""
        async with self._negotiating:
            if self.closed or self.pc.signalingState != "have-local-offer":
                raise NoOfferError("no subscription offer is outstanding")
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            for out in self._outgoing:
                if out.slot is not None and out.transceiver.currentDirection == "sendonly":
                    out.live = True
                    self._sync(out)
            return self._dirty

    async def close(self) -> None:
        self.closed = True
        for out in self._outgoing:
            self._attach(out, None)
        await self.pc.close()

    def _by_slot(self, slot: str) -> _Outgoing | None:
        return next((o for o in self._outgoing if o.slot == slot), None)

    def _free_outgoing(self, source: TrackForwarder) -> _Outgoing | None:
        for out in self._outgoing:
            if out.slot is None and out.mime_type.lower() == source.mime_type.lower():
                return out
        return None

    def _new_outgoing(self, source: TrackForwarder) -> _Outgoing:
        kind = "video" if source.mime_type.lower().startswith("video/") else "audio"
        track = hooks.PlaceholderTrack(kind, f"sabaq-{len(self._outgoing)}")
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        caps = RTCRtpSender.getCapabilities(kind).codecs
        transceiver.setCodecPreferences(
            [c for c in caps if c.mimeType.lower() == source.mime_type.lower()]
        )
        out = _Outgoing(transceiver=transceiver, kind=kind, mime_type=source.mime_type)
        sender = transceiver.sender

        def ready(params: hooks.SenderParameters) -> None:
            self._sender_ready(out, params)

        async def on_rtcp(packet: hooks.AnyRtcpPacket) -> None:
            if out.downtrack is not None:
                await handle_subscriber_rtcp(out.downtrack, packet, time.time())

        out.raw_send = hooks.hook_sender(sender, ready, on_rtcp)
        self._outgoing.append(out)
        return out

    def _sender_ready(self, out: _Outgoing, params: hooks.SenderParameters) -> None:
        if out.downtrack is not None:
            return
        if params.mime_type.lower() != out.mime_type.lower():
            logger.warning("subscriber negotiated %s for %s", params.mime_type, out.mime_type)
            return
        stream = StreamParams(
            ssrc=params.ssrc,
            payload_type=params.payload_type,
            clock_rate=params.clock_rate,
            mid=params.mid,
            extensions=params.extensions,
            extensions_key=params.extensions_key,
        )
        out.downtrack = Downtrack(stream, out.raw_send, gated=out.kind == "video")
        out.live = out.slot is not None  # the sender starts once an answer is applied
        self._sync(out)

    def _attach(self, out: _Outgoing, source: TrackForwarder | None) -> None:
        out.source = source
        self._sync(out)

    def _connection_changed(self) -> None:
        connected = self.pc.connectionState == "connected"
        if connected != self._connected:
            self._connected = connected
            for out in self._outgoing:
                self._sync(out)

    def _sync(self, out: _Outgoing) -> None:
        """Attach the downtrack to the source it should have now: none until the m-line is live
        and DTLS is connected, so the keyframe a new stream starts with is not sent into a
        transport that cannot carry it yet."""
        downtrack = out.downtrack
        live = out.live and self._connected and downtrack is not None
        wanted = out.source if live else None
        if out.attached is wanted:
            return
        if out.attached is not None and downtrack is not None:
            out.attached.detach(downtrack)
        out.attached = wanted
        if wanted is not None and downtrack is not None:
            wanted.attach(downtrack)
