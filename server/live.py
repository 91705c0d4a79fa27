"""A session's live room: room rules + the media room + the participants' connections.

Every change of the rules is turned into media commands by diffing the set of routed
(publisher, subscriber) pairs, and into messages to the clients concerned. Media events come back
through ``_on_media_event`` and are routed to the participant they concern.

Helpers: ``live_connections`` (channels, presence, resume grace), ``live_tracks`` (media events to
clients), ``live_talk`` (private talk), ``live_exam`` (publish gate, exam observer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from media import messages as m
from media.room import MediaConfig, MediaRoom
from server.db.models import SessionKind
from server.errors import Conflict, Forbidden, NotFound
from server.live_connections import Connection as Connection
from server.live_connections import RoomConnections
from server.live_exam import ExamObserver as ExamObserver
from server.live_exam import ExamWatch
from server.live_exam import PublishGate as PublishGate
from server.live_talk import PrivateTalks
from server.live_tracks import RoomTracks
from server.room_chat import RoomChat
from server.rooms import Participant, RoomRules
from server.tokens import RoomClaims

log = logging.getLogger(__name__)

CLOSE_REPLACED = 4002
CLOSE_REMOVED = 4003
CLOSE_ENDED = 4001


RoomChatFactory = Callable[[RoomRules], RoomChat]
# (session id, whose hand, raised, who did it): a hand went up or down.
HandHook = Callable[[int, Participant, bool, Participant], None]


class RoomRetired(Exception):
    """The room closed (it emptied) between being looked up and being joined: open it again."""


@dataclass(frozen=True)
class RoomDeps:
    """What a live room needs from the process around it."""

    media_config: MediaConfig
    resume_grace_seconds: float
    ice_servers: list[dict[str, Any]]
    chat: RoomChatFactory
    on_empty: Callable[[LiveRoom], Awaitable[None]]
    on_end: Callable[[LiveRoom], Awaitable[None]]
    presence: Callable[[int, int, str], None]
    heartbeat_seconds: float = 30
    publish_gate: PublishGate | None = None
    exam_observer: ExamObserver | None = None
    on_hand: HandHook | None = None  # told of every hand change (server.room_events)


class LiveRoom:
    """One session's room while it is live."""

    def __init__(self, session_id: int, kind: SessionKind, deps: RoomDeps) -> None:
        self.session_id = session_id
        self.rules = RoomRules(session_id, kind)
        self.media = MediaRoom(deps.media_config, self._on_media_event)
        self.chat = deps.chat(self.rules)
        self.ended = False
        self.retired = False
        self._on_empty = deps.on_empty
        self._on_end = deps.on_end
        self._ice_servers = deps.ice_servers
        self._on_hand: HandHook = deps.on_hand or (lambda *_: None)
        self._exam = ExamWatch(self, deps.publish_gate, deps.exam_observer)
        self._conns = RoomConnections(
            self.rules,
            partial(deps.presence, session_id),
            deps.heartbeat_seconds,
            deps.resume_grace_seconds,
        )
        # Short names for what the room does most with its channels.
        self._presence = self._conns.presence
        self._send = self._conns.send
        self._broadcast = self._conns.broadcast
        self._notify_all = self._conns.notify_all
        self._routed: dict[tuple[str, str], tuple[str, ...] | None] = {}
        self._news = RoomTracks(session_id, self.rules, self._send, self._exam.track_changed)
        self._tracks = self._news.tracks
        self._talks = PrivateTalks(self.rules, self._news, self._send)
        self._unanswered = self._news.unanswered
        self._lock = asyncio.Lock()

    # --- arriving and leaving ---

    async def join(
        self, claims: RoomClaims, connection: Connection, chat_since: int | None = None
    ) -> Participant:
        async with self._lock:
            if self.retired:
                raise RoomRetired()
            if self.ended:
                raise Conflict("the session has ended")
            if chat_since is not None:
                await self.chat.check_since(chat_since)
            resumed = claims.person_id in {p.person_id for p in self.rules.participants.values()}
            participant = self.rules.admit(claims)
            pid = participant.participant_id
            self._conns.cancel_expiry(pid)
            previous = self._conns.open.pop(pid, None)
            if previous is not None:
                await previous.close(CLOSE_REPLACED, "replaced by a newer connection")
            self._conns.open[pid] = connection
            participant.connected = True
            self._presence(claims.person_id, "join")
            self._exam.joined(participant)
            if not resumed:
                await self.media.handle(m.Join(pid))
            connection.send(self._joined(participant, resumed))
            await self.chat.attach(participant, connection.send, chat_since)
            if resumed and pid in self._unanswered:
                connection.send(self._unanswered[pid])
            if resumed:
                self._talks.repeat_to(participant)
            kind = "participant_updated" if resumed else "participant_joined"
            self._broadcast({"type": kind, "participant": participant.public()}, skip=pid)
            if participant.is_recorder and not resumed:
                self._notify_all({"type": "room_updated", "recording": True})
            await self._sync_routes()
            return participant

    def _joined(self, participant: Participant, resumed: bool) -> dict[str, Any]:
        return {
            "type": "joined",
            "participant_id": participant.participant_id,
            "resumed": resumed,
            "room": self.rules.snapshot(participant),
            "tracks": self._news.seen_by(participant),
            "ice_servers": self._ice_servers,
        }

    async def disconnected(self, participant_id: str, connection: Connection) -> None:
        """The signalling channel dropped: keep the participant for the resume grace period."""
        async with self._lock:
            if self._conns.open.get(participant_id) is not connection:
                return
            del self._conns.open[participant_id]
            self.chat.detach(participant_id)
            participant = self.rules.participants.get(participant_id)
            if participant is None:
                return
            self._presence(participant.person_id, "leave")
            participant.connected = False
            self._exam.disconnected(participant)
            self._broadcast({"type": "participant_updated", "participant": participant.public()})
            self._conns.expire_later(participant_id, self.leave)

    async def leave(self, participant_id: str) -> None:
        async with self._lock:
            await self._leave(participant_id)
            agents = await self._dismiss_agents_if_alone()
        for connection in agents:
            await connection.close(1000, "everyone has left")
        if not self.rules.participants and not self.ended:
            await self._on_empty(self)

    async def _dismiss_agents_if_alone(self) -> list[Connection]:
        """The recorder does not keep a room open: when the last person leaves, it goes too."""
        if self.rules.has_people():
            return []
        connections = []
        for participant in list(self.rules.participants.values()):
            connection = self._conns.open.get(participant.participant_id)
            await self._leave(participant.participant_id)
            if connection is not None:
                connections.append(connection)
        return connections

    def tell_moderators(self, message: dict[str, Any]) -> None:
        """A notice for the tutor and proctors only (e.g. the recording stopped: disk full)."""
        self._conns.tell_moderators(message)

    async def _leave(self, participant_id: str, actor: Participant | None = None) -> None:
        """``actor``: the moderator who removed the participant (None: they left)."""
        self._conns.cancel_expiry(participant_id)
        if participant_id not in self.rules.participants:
            return
        leaver = self.rules.participants[participant_id]
        if participant_id in self._conns.open:
            self._presence(leaver.person_id, "leave")
        # Media first, so that the audience of the leaver's tracks still hears of their removal.
        await self.media.handle(m.Leave(participant_id))
        self._talks.leaving(participant_id)
        self._lower_on_leaving(leaver, actor or leaver)
        self.rules.drop(participant_id)
        self._unanswered.pop(participant_id, None)
        self._conns.open.pop(participant_id, None)
        self.chat.detach(participant_id)
        self._routed = {
            pair: labels for pair, labels in self._routed.items() if participant_id not in pair
        }
        left = {"type": "participant_left", "participant_id": participant_id}
        self._broadcast(left, subject=leaver)
        if leaver.is_recorder:
            self._notify_all({"type": "room_updated", "recording": False})
        await self._sync_routes()

    # --- media from a participant ---

    async def publish(self, participant: Participant, sdp: str, labels: dict[str, str]) -> None:
        if not self.rules.may_publish(participant):
            raise Forbidden("you may not publish in this room (ask the tutor for the floor)")
        await self._exam.check_gate(participant)
        command = m.PublishOffer(participant.participant_id, sdp, tuple(labels.items()))
        async with self._lock:
            await self.media.handle(command)

    def tell(self, person_id: int, message: dict[str, Any]) -> bool:
        """Sends a server message to one person if connected (e.g. their exam was paused)."""
        return self._conns.tell(person_id, message)

    async def answer_subscription(self, participant: Participant, sdp: str) -> None:
        async with self._lock:
            self._unanswered.pop(participant.participant_id, None)
            await self.media.handle(m.SubscriptionAnswer(participant.participant_id, sdp))

    async def restart_subscription(self, participant: Participant) -> None:
        async with self._lock:
            await self.media.handle(m.RestartSubscription(participant.participant_id))

    async def mute_own(self, participant: Participant, track_id: str, muted: bool) -> None:
        self._own_track(participant, track_id)
        async with self._lock:
            await self.media.handle(m.Mute(participant.participant_id, track_id, muted))

    async def unpublish(self, participant: Participant, track_id: str) -> None:
        self._own_track(participant, track_id)
        async with self._lock:
            await self.media.handle(m.Unpublish(participant.participant_id, track_id))

    async def stats(self, participant: Participant) -> None:
        async with self._lock:
            await self.media.handle(m.RequestStats(participant.participant_id))

    def _own_track(self, participant: Participant, track_id: str) -> dict[str, Any]:
        track = self._tracks.get(track_id)
        if track is None or track["publisher_id"] != participant.participant_id:
            raise NotFound(f"you publish no track {track_id!r}")
        return track

    # --- hands, floor, moderation ---

    async def raise_hand(self, participant: Participant, raised: bool) -> None:
        async with self._lock:
            was_raised = participant.hand_raised
            self.rules.raise_hand(participant, raised)
            self._hand_changed(participant, was_raised, participant)
            self._broadcast({"type": "participant_updated", "participant": participant.public()})

    async def lower_hand(self, actor: Participant, target_id: str) -> None:
        async with self._lock:
            self.rules.require_moderator(actor)
            target = self.rules.get(target_id)
            was_raised = target.hand_raised
            self.rules.raise_hand(target, False)
            self._hand_changed(target, was_raised, actor)
            self._broadcast({"type": "participant_updated", "participant": target.public()})

    async def set_floor(self, actor: Participant, target_id: str, granted: bool) -> None:
        async with self._lock:
            target = self.rules.get(target_id)
            self.rules.check_floor(actor, target)
            if not granted:
                # Before the rule changes, so the audience still hears the tracks go.
                await self._unpublish_all(target)
            was_raised = target.hand_raised
            self.rules.set_floor(actor, target, granted)  # granting lowers the hand
            self._hand_changed(target, was_raised, actor)
            self._send(target_id, {"type": "floor", "granted": granted})
            self._broadcast({"type": "participant_updated", "participant": target.public()})
            await self._sync_routes()

    def _hand_changed(self, target: Participant, was_raised: bool, actor: Participant) -> None:
        """Every hand change the room makes is reported from here, and only a real change (raising
        a raised hand is none): the recording timeline stores exactly these."""
        if target.hand_raised != was_raised:
            self._on_hand(self.session_id, target, target.hand_raised, actor)

    def _lower_on_leaving(self, leaver: Participant, actor: Participant) -> None:
        """A hand still up when its owner leaves the room goes with them (a return starts with
        it down), so the timeline does not show it up for the rest of the recording."""
        was_raised = leaver.hand_raised
        self.rules.raise_hand(leaver, False)
        self._hand_changed(leaver, was_raised, actor)

    async def _unpublish_all(self, target: Participant) -> None:
        for track in self._news.of(target.participant_id):
            await self.media.handle(m.Unpublish(target.participant_id, track["track_id"]))

    async def mute(self, actor: Participant, target_id: str | None) -> None:
        """Mute one participant's microphone, or (no target) everyone's but the moderators'."""
        async with self._lock:
            self.rules.require_moderator(actor)
            targets = (
                [self.rules.get(target_id)]
                if target_id is not None
                else [p for p in self.rules.participants.values() if not p.moderates]
            )
            for target in targets:
                await self._mute_microphone(target)

    async def _mute_microphone(self, target: Participant) -> None:
        pid = target.participant_id
        for track in self._news.of(pid):
            if track["kind"] == "audio" and not track["muted"]:
                await self.media.handle(m.Mute(pid, track["track_id"], True))
        self._send(pid, {"type": "muted_by_moderator"})

    async def remove(self, actor: Participant, target_id: str) -> None:
        async with self._lock:
            self.rules.require_moderator(actor)
            target = self.rules.get(target_id)
            if target.moderates:
                raise Forbidden("a moderator cannot be removed")
            self.rules.removed.add(target.person_id)
            connection = self._conns.open.get(target_id)
            await self._leave(target_id, actor)
        if connection is not None:
            await connection.close(CLOSE_REMOVED, "removed by the moderator")

    # --- private talk (exam rooms) ---

    async def talk_to(self, actor: Participant, person_id: int | None) -> dict[str, Any]:
        """A moderator's microphone goes to one exam student too (None: to nobody any more)."""
        async with self._lock:
            if self._talks.talk_to(actor, person_id):
                await self._sync_routes()
        return {"type": "talk_to", "person_id": person_id}

    async def lock(self, actor: Participant, locked: bool) -> None:
        async with self._lock:
            self.rules.require_moderator(actor)
            self.rules.locked = locked
            self._notify_all({"type": "room_updated", "locked": locked})

    async def end_by(self, actor: Participant) -> None:
        """A moderator ends the session: recorded as ended, then closed for everyone."""
        self.rules.require_moderator(actor)
        await self._on_end(self)

    async def end(self) -> None:
        """Ends the session for everyone: every connection closes and the media room shuts."""
        async with self._lock:
            if self.ended:
                return
            self.ended = True
            self._conns.cancel_expiries()
            self._notify_all({"type": "session_ended"})
            connections = self._conns.drain()
            for participant in self.rules.participants.values():
                self._lower_on_leaving(participant, participant)
            self.rules.participants.clear()
        for connection in connections:
            await connection.close(CLOSE_ENDED, "the session has ended")
        await self.close()

    async def close(self) -> None:
        await self._conns.stop()
        await self.chat.stop()
        await self.media.close()

    # --- routing and events ---

    async def _sync_routes(self) -> None:
        wanted = self.rules.routes()
        for publisher, subscriber in sorted(self._routed.keys() - wanted.keys()):
            await self.media.handle(m.Revoke(publisher, subscriber))
        for pair in sorted(wanted):
            if pair not in self._routed or self._routed[pair] != wanted[pair]:
                await self.media.handle(m.Allow(*pair, labels=wanted[pair]))
        self._routed = wanted

    def _on_media_event(self, event: m.Event) -> None:
        self._news.on_event(event)
