"""The subscribing half of a media room: routes applied to subscription connections, offers
to subscribers and their answers.

Routes are applied under the room lock and only mark which subscribers need an offer
(`touched`); offering (ICE gathering included) and applying answers run after the lock is
released, serialised per subscription connection by `SubscribePeer`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from media import messages as m
from media.peer import NoOfferError, StateCallback, SubscribePeer
from media.room_state import MediaConfig, ParticipantMedia, StateError
from media.router import Route, Router
from media.sdp import SdpError, check_sdp

Emit = Callable[[m.Event], None]
# (participant id, role, peer, state): how a room hears that a connection failed or closed
PeerStateCallback = Callable[[str, str, object, str], None]


def joined(participants: dict[str, ParticipantMedia], participant_id: str) -> ParticipantMedia:
    """The participant's state; a `StateError` if they have not joined."""
    try:
        return participants[participant_id]
    except KeyError:
        raise StateError(f"participant {participant_id!r} has not joined") from None


class Subscriptions:
    """Applies routes to the room's subscription connections and negotiates them.

    Shares the room's participant table and router (the room owns both)."""

    def __init__(
        self,
        config: MediaConfig,
        router: Router,
        participants: dict[str, ParticipantMedia],
        emit: Emit,
        on_state: PeerStateCallback,
    ) -> None:
        self._config = config
        self._router = router
        self._participants = participants
        self._emit = emit
        self._on_state = on_state
        self.touched: list[str] = []  # subscribers the command under the lock must offer to

    def apply(self, routes: list[Route]) -> None:
        """Apply routes (under the room lock); subscribers whose connection changed are offered
        to once the lock is released."""
        for route in routes:
            sub = self._participants.get(route.subscriber_id)
            if sub is None:
                continue
            if self._apply_route(sub, route):
                self.touch(sub.participant_id)

    def touch(self, participant_id: str) -> None:
        if participant_id not in self.touched:
            self.touched.append(participant_id)

    def _apply_route(self, sub: ParticipantMedia, route: Route) -> bool:
        if route.track_id is None:
            return sub.subscribe is not None and sub.subscribe.remove_slot(route.slot)
        info = self._router.track(route.track_id)
        source = self._participants[info.publisher_id].published[info.track_id].forwarder
        if sub.subscribe is None:
            sub.subscribe = SubscribePeer(self._state_callback(sub.participant_id))
        described = {
            "slot": route.slot,
            "track_id": info.track_id,
            "publisher_id": info.publisher_id,
            "label": info.label,
            "kind": info.kind,
        }
        return sub.subscribe.set_slot(route.slot, source, info.publisher_id, described)

    def _state_callback(self, participant_id: str) -> StateCallback:
        return partial(self._on_state, participant_id, "subscribe")

    async def offer_to(self, participant_ids: list[str]) -> None:
        for participant_id in participant_ids:
            p = self._participants.get(participant_id)
            if p is not None:
                await self._offer(p)

    async def _offer(self, sub: ParticipantMedia) -> None:
        peer = sub.subscribe
        if peer is None:
            return
        try:
            offered = await peer.offer()
        except Exception:
            if peer.closed:  # closed (left, restarted, failed) while offering: nothing to say
                return
            raise
        if offered is None:
            return
        sdp, active = offered
        slots = tuple(m.SlotInfo(mid=mid, **described) for mid, described in active)
        self._emit(m.SubscriptionOffer(sub.participant_id, sdp, slots))

    async def answer(self, command: m.SubscriptionAnswer) -> None:
        """Runs outside the room lock, serialised with offers on the same connection."""
        p = joined(self._participants, command.participant_id)
        peer = p.subscribe
        if peer is None or peer.pc.signalingState != "have-local-offer":
            raise StateError("no subscription offer is outstanding")
        # Our offer has one m-line per stream we ever opened on this connection: the answer may
        # have as many (the client-offer limit does not apply to it).
        limits = self._config.sdp_limits.for_answer(peer.offered_sections())
        check_sdp(command.sdp, limits)
        try:
            again = await peer.accept_answer(command.sdp)
        except NoOfferError as exc:
            raise StateError(str(exc)) from None
        except Exception as exc:
            if peer.closed:
                raise StateError("the subscription connection was closed") from None
            raise SdpError(f"answer rejected: {type(exc).__name__}: {exc}") from None
        if again:
            await self._offer(p)

    async def restart(self, participant_id: str) -> None:
        """A new subscription connection carrying the participant's current slots."""
        p = joined(self._participants, participant_id)
        old, p.subscribe = p.subscribe, None
        if old is not None:
            await old.close()
        routes = [
            Route(participant_id, s, t) for s, t in self._router.slots(participant_id).items()
        ]
        for route in routes:
            self._apply_route(p, route)
        self.touch(participant_id)
