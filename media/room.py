"""MediaRoom: one room's media, driven by commands, reporting by events.

`await room.handle(command)` applies one command from `media.messages`; everything the outside
world needs to know comes back through the `emit` callback given to the constructor. A refused
command emits `CommandFailed` for its participant only; it never raises into the caller and never
disturbs other participants. The subscribing half (routes onto subscription connections, offers
and answers) is `media.room_subscriptions.Subscriptions`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from functools import partial

from media import aiortc_hooks as hooks
from media import messages as m
from media.forwarder import TrackForwarder
from media.peer import PublishPeer, SubscribePeer
from media.room_state import MediaConfig as MediaConfig
from media.room_state import ParticipantMedia, Published, StateError
from media.room_subscriptions import Emit, Subscriptions, joined
from media.router import Route, RouteError, Router, TrackInfo
from media.sdp import MediaSection, SdpError, check_renegotiation, check_sdp, ice_ufrag
from media.stats import participant_stats
from media.tap import PacketTap

logger = logging.getLogger(__name__)


class MediaRoom:
    """One room's media: participants' connections, their tracks and the routes between them."""

    def __init__(self, config: MediaConfig, emit: Emit) -> None:
        self._config = config
        self._emit = emit
        self._router = Router(config.max_subscribed_tracks)
        self._held: dict[str, tuple[str, ...]] = {}  # held-back tracks last reported
        self._participants: dict[str, ParticipantMedia] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_track = 0
        self._lock = asyncio.Lock()  # routing state; see `handle`
        self._subs = Subscriptions(config, self._router, self._participants, emit, self._on_state)
        self._restriction = (
            hooks.restrict_host_addresses(config.host_addresses)
            if config.host_addresses is not None
            else None
        )

    @property
    def router(self) -> Router:
        return self._router

    def peers(self, participant_id: str) -> tuple[PublishPeer | None, SubscribePeer | None]:
        """The participant's server-side connections (for tests and diagnostics)."""
        p = self._participants[participant_id]
        return p.publish, p.subscribe

    def forwarder(self, track_id: str) -> TrackForwarder:
        info = self._router.track(track_id)
        return self._participants[info.publisher_id].published[track_id].forwarder

    def tap(self, track_id: str, tap: PacketTap | None) -> TrackForwarder | None:
        """Shows a published track's packets to a server-side observer's tap (None removes it).
        Returns the track's forwarder (keyframe requests, packet counts), None if it is gone."""
        try:
            forwarder = self.forwarder(track_id)
        except (RouteError, KeyError):
            return None
        forwarder.tap = tap
        return forwarder

    async def handle(self, command: m.Command) -> None:
        """Routing changes are applied one command at a time under the room lock; offering
        (ICE gathering included) and applying answers run outside it, serialised per
        subscription connection, so a burst of joins does not queue on one another's
        negotiation. Offers a command causes are emitted before `handle` returns."""
        if isinstance(command, m.SubscriptionAnswer):
            await self._guarded(command, self._subs.answer(command))
            return
        async with self._lock:
            self._subs.touched = []
            await self._guarded(command, self._dispatch(command))
            touched, self._subs.touched = self._subs.touched, []
            self._report_held()
        await self._subs.offer_to(touched)

    async def _guarded(self, command: m.Command, work: Awaitable[None]) -> None:
        try:
            await work
        except SdpError as exc:
            self._fail(command, "sdp", str(exc))
        except RouteError as exc:
            self._fail(command, "route", str(exc))
        except StateError as exc:
            self._fail(command, "state", str(exc))

    async def close(self) -> None:
        async with self._lock:
            for participant_id in list(self._participants):
                await self._leave(participant_id)
            self._subs.touched = []
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._restriction is not None:
            self._restriction.release()

    async def _dispatch(self, command: m.Command) -> None:
        match command:
            case m.Join(pid):
                self._router.add_participant(pid)
                self._participants[pid] = ParticipantMedia(pid)
            case m.PublishOffer():
                await self._publish_offer(command)
            case m.Allow(pub, sub, auto, labels):
                only = frozenset(labels) if labels is not None else None
                self._subs.apply(self._router.allow(pub, sub, auto, only))
            case m.Revoke(pub, sub):
                self._subs.apply(self._router.revoke(pub, sub))
            case m.Subscribe(sub, track_id, slot):
                self._subs.apply([self._router.subscribe(sub, track_id, slot)])
            case m.Unsubscribe(sub, slot):
                self._subs.apply(self._router.unsubscribe(sub, slot))
            case m.Mute(pid, track_id, muted):
                published = self._owned(pid, track_id)
                published.forwarder.set_muted(muted)
                self._emit(m.TrackMuted(track_id, pid, muted))
            case m.Unpublish(pid, track_id):
                published = self._owned(pid, track_id)
                self._participant(pid).retired_mids.add(published.mid)
                await self._remove_track(self._participant(pid), track_id)
            case m.RestartSubscription(pid):
                await self._subs.restart(pid)
            case m.RequestStats(pid):
                p = self._participant(pid)
                tracks = {t: (pub.info.label, pub.forwarder) for t, pub in p.published.items()}
                slots = self._router.slots(pid)
                self._emit(participant_stats(pid, tracks, p.subscribe, slots))
            case m.Leave(pid):
                await self._leave(pid)

    def _report_held(self) -> None:
        """Tell each subscriber whose held-back tracks changed (see `SubscriptionLimited`)."""
        for participant_id in self._participants:
            held = tuple(self._router.held_back(participant_id))
            if held != self._held.get(participant_id, ()):
                self._held[participant_id] = held
                limit = self._router.max_slots
                self._emit(m.SubscriptionLimited(participant_id, held, limit))
        for gone in set(self._held) - set(self._participants):
            del self._held[gone]

    def _fail(self, command: m.Command, code: str, message: str) -> None:
        pid = getattr(command, "participant_id", None) or getattr(command, "subscriber_id", "")
        self._emit(m.CommandFailed(str(pid), type(command).__name__, code, message))

    def _participant(self, participant_id: str) -> ParticipantMedia:
        return joined(self._participants, participant_id)

    def _owned(self, participant_id: str, track_id: str) -> Published:
        published = self._participant(participant_id).published.get(track_id)
        if published is None:
            raise RouteError(f"{participant_id!r} does not publish track {track_id!r}")
        return published

    # --- publishing ---

    async def _publish_offer(self, command: m.PublishOffer) -> None:
        p = self._participant(command.participant_id)
        sections = check_sdp(command.sdp, self._config.sdp_limits)
        ufrag = ice_ufrag(sections)
        peer = p.publish
        renegotiating = peer is not None and not peer.closed and peer.ice_ufrag == ufrag
        if peer is not None and renegotiating:
            # Anything wrong with a renegotiation is refused before the connection changes, so
            # the tracks already flowing keep flowing.
            check_renegotiation(peer.sections, sections)
        else:
            if peer is not None and not peer.closed:
                # the client gave up on the old connection (e.g. ICE failed) and made a new one
                await self._drop_publish_peer(p)
                reason = "replaced by a new connection"
                self._emit(m.PeerClosed(p.participant_id, "publish", reason))
            await self._drop_publish_peer(p)
            peer = p.publish = PublishPeer(partial(self._on_state, p.participant_id, "publish"))
            peer.ice_ufrag = ufrag
        try:
            answer = await peer.answer(command.sdp, sections)
        except Exception as exc:
            if not (renegotiating and peer.intact):
                # a first offer (nothing to lose), or aiortc applied part of a renegotiation:
                # that connection cannot be trusted any more
                await self._drop_publish_peer(p)
            raise SdpError(f"offer rejected: {type(exc).__name__}: {exc}") from None
        self._emit(m.Answer(p.participant_id, answer))
        await self._reconcile_tracks(p, sections, dict(command.labels))

    async def _reconcile_tracks(
        self, p: ParticipantMedia, sections: list[MediaSection], labels: dict[str, str]
    ) -> None:
        peer = p.publish
        assert peer is not None
        sending = {s.mid: s for s in sections if s.sending}
        p.retired_mids &= set(sending)
        routes: list[Route] = []
        for track_id, published in list(p.published.items()):
            if published.mid not in sending:
                routes += self._unpublish(p, track_id)
        known = {pub.mid for pub in p.published.values()}
        for mid, section in sending.items():
            if mid in known or mid in p.retired_mids:
                continue
            mime_type = peer.negotiated_mime_type(mid)
            if mime_type is None:
                continue
            label = labels.get(mid) or self._default_label(p, section.kind)
            routes += self._add_track(p, peer, mid, section.kind, label, mime_type)
        self._subs.apply(routes)  # one renegotiation per subscriber for all changes

    @staticmethod
    def _default_label(p: ParticipantMedia, kind: str) -> str:
        if kind == "audio":
            return "microphone"
        labels = {pub.info.label for pub in p.published.values()}
        return "screen" if "camera" in labels else "camera"

    def _add_track(
        self, p: ParticipantMedia, peer: PublishPeer, mid: str, kind: str, label: str, mime: str
    ) -> list[Route]:
        self._next_track += 1
        info = TrackInfo(f"t{self._next_track}", p.participant_id, kind, label, mime)
        forwarder = TrackForwarder(
            mime,
            partial(hooks.send_pli, peer.receiver(mid)),
            cache_size=self._config.cache_size,
            on_keyframe_request=partial(
                self._emit, m.KeyframeNeeded(info.track_id, p.participant_id)
            ),
        )
        p.published[info.track_id] = Published(info, mid, forwarder)
        peer.set_tap(mid, forwarder)
        routes = self._router.add_track(info)
        self._emit(m.TrackAdded(info.track_id, p.participant_id, label, kind, mime))
        return routes

    async def _remove_track(self, p: ParticipantMedia, track_id: str) -> None:
        self._subs.apply(self._unpublish(p, track_id))

    def _unpublish(self, p: ParticipantMedia, track_id: str) -> list[Route]:
        published = p.published.pop(track_id)
        if p.publish is not None:
            p.publish.set_tap(published.mid, None)
        published.forwarder.retire()
        routes = self._router.remove_track(track_id)
        for other in self._participants.values():
            if other.subscribe is not None:
                other.subscribe.detach_source(published.forwarder)
        info = published.info
        self._emit(m.TrackRemoved(track_id, info.publisher_id, info.label))
        return routes

    async def _drop_publish_peer(self, p: ParticipantMedia) -> None:
        routes: list[Route] = []
        for track_id in list(p.published):
            routes += self._unpublish(p, track_id)
        peer, p.publish = p.publish, None
        p.retired_mids.clear()
        if peer is not None:
            await peer.close()
        self._subs.apply(routes)

    # --- lifecycle ---

    def _on_state(self, participant_id: str, role: str, peer: object, state: str) -> None:
        if state in ("failed", "closed"):
            task = asyncio.ensure_future(self._peer_gone(participant_id, role, peer, state))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _peer_gone(self, participant_id: str, role: str, peer: object, state: str) -> None:
        """A connection failed or was closed by the client: clean it up (unless we did)."""
        async with self._lock:
            self._subs.touched = []
            await self._drop_peer(participant_id, role, peer, state)
            touched, self._subs.touched = self._subs.touched, []
            self._report_held()
        await self._subs.offer_to(touched)

    async def _drop_peer(self, participant_id: str, role: str, peer: object, state: str) -> None:
        p = self._participants.get(participant_id)
        if p is None:
            return
        if role == "publish":
            publisher = p.publish
            if publisher is None or publisher is not peer or publisher.closed:
                return
            await self._drop_publish_peer(p)
        else:
            subscriber = p.subscribe
            if subscriber is None or subscriber is not peer or subscriber.closed:
                return
            p.subscribe = None
            await subscriber.close()
        self._emit(m.PeerClosed(participant_id, role, f"connection {state}"))

    async def _leave(self, participant_id: str) -> None:
        p = self._participant(participant_id)
        removed = tuple(p.published)
        await self._drop_publish_peer(p)
        self._router.remove_participant(participant_id)
        del self._participants[participant_id]
        if p.subscribe is not None:
            peer, p.subscribe = p.subscribe, None
            await peer.close()
        self._emit(m.Left(participant_id, removed))
