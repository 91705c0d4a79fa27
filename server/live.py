"""A session's live room: room rules + the media room + the participants' connections.

Every change of the rules is turned into media commands by diffing the set of routed
(publisher, subscriber) pairs, and into messages to the clients concerned. Media events come back
through ``_on_media_event`` and are routed to the participant they concern.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from media import messages as m
from media.room import MediaConfig, MediaRoom
from server import live_views
from server.db.models import Role, SessionKind
from server.errors import Conflict, Forbidden, NotFound
from server.room_chat import RoomChat
from server.rooms import Participant, RoomRules, participant_id_of
from server.tokens import AGENT_PERSON_ID, EXAM_KINDS, RoomClaims

log = logging.getLogger(__name__)

CLOSE_REPLACED = 4002
CLOSE_REMOVED = 4003
CLOSE_ENDED = 4001


RoomChatFactory = Callable[[RoomRules], RoomChat]
# Asked before an exam student publishes: the reason to refuse (e.g. identity not yet approved),
# or None to let them (``server.proctoring``).
PublishGate = Callable[[int, Participant], Awaitable[str | None]]


class RoomRetired(Exception):
    """The room closed (it emptied) between being looked up and being joined: open it again."""


class Connection(Protocol):
    """A participant's signalling channel as the room sees it."""

    def send(self, message: dict[str, Any]) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


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


class LiveRoom:
    """One session's room while it is live."""

    def __init__(self, session_id: int, kind: SessionKind, deps: RoomDeps) -> None:
        self.session_id = session_id
        self.rules = RoomRules(session_id, kind)
        self.media = MediaRoom(deps.media_config, self._on_media_event)
        self.chat = deps.chat(self.rules)
        self.ended = False
        self.retired = False
        self._grace = deps.resume_grace_seconds
        self._on_empty = deps.on_empty
        self._on_end = deps.on_end
        self._ice_servers = deps.ice_servers
        self._publish_gate = deps.publish_gate
        self._note_presence = partial(deps.presence, session_id)
        self._heartbeat = asyncio.create_task(self._beat(deps.heartbeat_seconds))
        self._connections: dict[str, Connection] = {}
        self._routed: set[tuple[str, str]] = set()
        self._tracks: dict[str, dict[str, Any]] = {}
        # The last subscription offer each participant has not answered: sent again on resume,
        # since one sent while their signalling was down is lost.
        self._unanswered: dict[str, dict[str, Any]] = {}
        self._expiries: dict[str, asyncio.Task[None]] = {}
        self._lock = asyncio.Lock()

    def _presence(self, person_id: int, kind: str) -> None:
        # Attendance is for people: the recorder (an agent) is never present or absent.
        if person_id != AGENT_PERSON_ID:
            self._note_presence(person_id, kind)

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
            self._cancel_expiry(pid)
            previous = self._connections.pop(pid, None)
            if previous is not None:
                await previous.close(CLOSE_REPLACED, "replaced by a newer connection")
            self._connections[pid] = connection
            participant.connected = True
            self._presence(claims.person_id, "join")
            if not resumed:
                await self.media.handle(m.Join(pid))
            connection.send(self._joined(participant, resumed))
            await self.chat.attach(participant, connection.send, chat_since)
            if resumed and pid in self._unanswered:
                connection.send(self._unanswered[pid])
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
            "tracks": [t for t in self._tracks.values() if self._sees(participant, t)],
            "ice_servers": self._ice_servers,
        }

    async def disconnected(self, participant_id: str, connection: Connection) -> None:
        """The signalling channel dropped: keep the participant for the resume grace period."""
        async with self._lock:
            if self._connections.get(participant_id) is not connection:
                return
            del self._connections[participant_id]
            self.chat.detach(participant_id)
            participant = self.rules.participants.get(participant_id)
            if participant is None:
                return
            self._presence(participant.person_id, "leave")
            participant.connected = False
            self._broadcast({"type": "participant_updated", "participant": participant.public()})
            self._expiries[participant_id] = asyncio.create_task(self._expire(participant_id))

    async def _expire(self, participant_id: str) -> None:
        await asyncio.sleep(self._grace)
        self._expiries.pop(participant_id, None)
        await self.leave(participant_id)

    def _cancel_expiry(self, participant_id: str) -> None:
        task = self._expiries.pop(participant_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

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
            connection = self._connections.get(participant.participant_id)
            await self._leave(participant.participant_id)
            if connection is not None:
                connections.append(connection)
        return connections

    def tell_moderators(self, message: dict[str, Any]) -> None:
        """A notice for the tutor and proctors only (e.g. the recording stopped: disk full)."""
        for participant in self.rules.participants.values():
            if participant.moderates:
                self._send(participant.participant_id, message)

    async def _leave(self, participant_id: str) -> None:
        self._cancel_expiry(participant_id)
        if participant_id not in self.rules.participants:
            return
        leaver = self.rules.participants[participant_id]
        if participant_id in self._connections:
            self._presence(leaver.person_id, "leave")
        # Media first, so that the audience of the leaver's tracks still hears of their removal.
        await self.media.handle(m.Leave(participant_id))
        self.rules.drop(participant_id)
        self._unanswered.pop(participant_id, None)
        self._connections.pop(participant_id, None)
        self.chat.detach(participant_id)
        self._routed = {pair for pair in self._routed if participant_id not in pair}
        left = {"type": "participant_left", "participant_id": participant_id}
        self._broadcast(left, subject=leaver)
        if leaver.is_recorder:
            self._notify_all({"type": "room_updated", "recording": False})
        await self._sync_routes()

    # --- media from a participant ---

    async def publish(self, participant: Participant, sdp: str, labels: dict[str, str]) -> None:
        if not self.rules.may_publish(participant):
            raise Forbidden("you may not publish in this room (ask the tutor for the floor)")
        await self._check_gate(participant)
        command = m.PublishOffer(participant.participant_id, sdp, tuple(labels.items()))
        async with self._lock:
            await self.media.handle(command)

    async def _check_gate(self, participant: Participant) -> None:
        exam_student = self.rules.kind in EXAM_KINDS and participant.role == Role.STUDENT
        if self._publish_gate is not None and exam_student and participant.agent is None:
            refusal = await self._publish_gate(self.session_id, participant)
            if refusal is not None:
                raise Forbidden(refusal)

    def tell(self, person_id: int, message: dict[str, Any]) -> bool:
        """Sends a server message to one person if connected (e.g. their exam was paused)."""
        connection = self._connections.get(participant_id_of(person_id))
        if connection is not None:
            connection.send(message)
        return connection is not None

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
            self.rules.raise_hand(participant, raised)
            self._broadcast({"type": "participant_updated", "participant": participant.public()})

    async def lower_hand(self, actor: Participant, target_id: str) -> None:
        async with self._lock:
            self.rules.require_moderator(actor)
            target = self.rules.get(target_id)
            self.rules.raise_hand(target, False)
            self._broadcast({"type": "participant_updated", "participant": target.public()})

    async def set_floor(self, actor: Participant, target_id: str, granted: bool) -> None:
        async with self._lock:
            target = self.rules.get(target_id)
            self.rules.check_floor(actor, target)
            if not granted:
                # Before the rule changes, so the audience still hears the tracks go.
                await self._unpublish_all(target)
            self.rules.set_floor(actor, target, granted)
            self._send(target_id, {"type": "floor", "granted": granted})
            self._broadcast({"type": "participant_updated", "participant": target.public()})
            await self._sync_routes()

    async def _unpublish_all(self, target: Participant) -> None:
        for track_id, track in list(self._tracks.items()):
            if track["publisher_id"] == target.participant_id:
                await self.media.handle(m.Unpublish(target.participant_id, track_id))

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
        for track_id, track in list(self._tracks.items()):
            if track["publisher_id"] == pid and track["kind"] == "audio" and not track["muted"]:
                await self.media.handle(m.Mute(pid, track_id, True))
        self._send(pid, {"type": "muted_by_moderator"})

    async def remove(self, actor: Participant, target_id: str) -> None:
        async with self._lock:
            self.rules.require_moderator(actor)
            target = self.rules.get(target_id)
            if target.moderates:
                raise Forbidden("a moderator cannot be removed")
            self.rules.removed.add(target.person_id)
            connection = self._connections.get(target_id)
            await self._leave(target_id)
        if connection is not None:
            await connection.close(CLOSE_REMOVED, "removed by the moderator")

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
            for task in self._expiries.values():
                task.cancel()
            self._expiries.clear()
            self._notify_all({"type": "session_ended"})
            for pid in self._connections:
                self._presence(self.rules.participants[pid].person_id, "leave")
            connections, self._connections = self._connections, {}
            self.rules.participants.clear()
        for connection in connections.values():
            await connection.close(CLOSE_ENDED, "the session has ended")
        await self.close()

    async def _beat(self, interval: float) -> None:
        """Heartbeats mark who is still here, so a crash closes intervals at the last one."""
        while True:
            await asyncio.sleep(interval)
            for pid in list(self._connections):
                participant = self.rules.participants.get(pid)
                if participant is not None:
                    self._presence(participant.person_id, "heartbeat")

    async def close(self) -> None:
        self._heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._heartbeat
        await self.chat.stop()
        await self.media.close()

    # --- routing and events ---

    async def _sync_routes(self) -> None:
        wanted = self.rules.pairs()
        for publisher, subscriber in sorted(self._routed - wanted):
            await self.media.handle(m.Revoke(publisher, subscriber))
        for publisher, subscriber in sorted(wanted - self._routed):
            await self.media.handle(m.Allow(publisher, subscriber))
        self._routed = wanted

    def _sees(self, participant: Participant, track: dict[str, Any]) -> bool:
        publisher = self.rules.participants.get(track["publisher_id"])
        if publisher is None:
            return False
        return publisher is participant or self.rules.receives(publisher, participant)

    def _send_to_audience(self, track: dict[str, Any], message: dict[str, Any]) -> None:
        for participant in self.rules.participants.values():
            if self._sees(participant, track):
                self._send(participant.participant_id, message)

    def _send(self, participant_id: str, message: dict[str, Any]) -> None:
        connection = self._connections.get(participant_id)
        if connection is not None:
            connection.send(message)

    def _broadcast(
        self, message: dict[str, Any], skip: str | None = None, subject: Participant | None = None
    ) -> None:
        """Roster news; exam students hear only of moderators (whom they may write to)."""
        if subject is None and "participant" in message:
            subject = self.rules.participants.get(message["participant"]["participant_id"])
        for participant_id, connection in self._connections.items():
            if participant_id != skip and self._may_hear_of(participant_id, subject):
                connection.send(message)

    def _may_hear_of(self, participant_id: str, subject: Participant | None) -> bool:
        listener = self.rules.participants.get(participant_id)
        if listener is None or self.rules.sees_roster(listener):
            return True
        return subject is not None and (subject.moderates or subject is listener)

    def _notify_all(self, message: dict[str, Any]) -> None:
        for connection in self._connections.values():
            connection.send(message)

    def _on_media_event(self, event: m.Event) -> None:
        match event:
            case m.Answer(pid, sdp):
                self._send(pid, {"type": "publish_answer", "sdp": sdp})
            case m.SubscriptionOffer(pid, sdp, slots):
                self._unanswered[pid] = live_views.subscription_offer(sdp, slots)
                self._send(pid, self._unanswered[pid])
            case m.TrackAdded(track_id, publisher_id, label, kind, mime_type):
                track = {
                    "track_id": track_id,
                    "publisher_id": publisher_id,
                    "label": label,
                    "kind": kind,
                    "mime_type": mime_type,
                    "muted": False,
                }
                self._tracks[track_id] = track
                self._send_to_audience(track, {"type": "track_added", "track": track})
            case m.TrackRemoved(track_id, _publisher_id, _label):
                gone = self._tracks.pop(track_id, None)
                if gone is not None:
                    self._send_to_audience(gone, {"type": "track_removed", "track_id": track_id})
            case m.TrackMuted(track_id, _publisher_id, muted):
                self._track_muted(track_id, muted)
            case m.Stats():
                self._send(event.participant_id, live_views.stats(event))
            case m.PeerClosed(pid, role, reason):
                self._send(pid, {"type": "peer_closed", "role": role, "reason": reason})
            case m.CommandFailed(pid, command, code, message):
                self._send(
                    pid,
                    {
                        "type": "error",
                        "code": f"media_{code}",
                        "message": message,
                        "command": command,
                    },
                )
            case _:
                log.debug("room %s: media event %s", self.session_id, event)

    def _track_muted(self, track_id: str, muted: bool) -> None:
        track = self._tracks.get(track_id)
        if track is None:
            return
        track["muted"] = muted
        message = {"type": "track_muted", "track_id": track_id, "muted": muted}
        self._send_to_audience(track, message)
