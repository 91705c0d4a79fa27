"""The live room's signalling channels: reaching participants, presence and the resume grace.

``RoomConnections`` holds each connected participant's channel and sends to one of them, to all,
or to those who may hear a piece of roster news; notes attendance (join, leave, heartbeat) for
people, never for the recorder; and keeps the grace timers after which a participant whose
channel dropped is let go.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from server.rooms import Participant, RoomRules, participant_id_of
from server.tokens import AGENT_PERSON_ID

# (person id, "join" | "leave" | "heartbeat"): attendance of one person in this room's session.
Presence = Callable[[int, str], None]


class Connection(Protocol):
    """A participant's signalling channel as the room sees it."""

    def send(self, message: dict[str, Any]) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class RoomConnections:
    """The open channels of one room's participants, their presence and their resume grace."""

    def __init__(
        self, rules: RoomRules, presence: Presence, heartbeat_seconds: float, grace_seconds: float
    ) -> None:
        self._rules = rules
        self._note_presence = presence
        self._grace = grace_seconds
        self._heartbeat = asyncio.create_task(self._beat(heartbeat_seconds))
        # participant id -> their channel, while connected
        self.open: dict[str, Connection] = {}
        self._expiries: dict[str, asyncio.Task[None]] = {}

    # --- presence ---

    def presence(self, person_id: int, kind: str) -> None:
        """Notes attendance, except the recorder's: an agent is never present or absent."""
        if person_id != AGENT_PERSON_ID:
            self._note_presence(person_id, kind)

    async def _beat(self, interval: float) -> None:
        """Heartbeats mark who is still here, so a crash closes intervals at the last one."""
        while True:
            await asyncio.sleep(interval)
            for pid in list(self.open):
                participant = self._rules.participants.get(pid)
                if participant is not None:
                    self.presence(participant.person_id, "heartbeat")

    async def stop(self) -> None:
        """Stops the heartbeats (the room is closing)."""
        self._heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._heartbeat

    def drain(self) -> list[Connection]:
        """Everyone leaves at once (the session ended): the channels, still to be closed."""
        for pid in self.open:
            self.presence(self._rules.participants[pid].person_id, "leave")
        connections, self.open = self.open, {}
        return list(connections.values())

    # --- the resume grace ---

    def expire_later(self, participant_id: str, leave: Callable[[str], Awaitable[None]]) -> None:
        """Lets ``participant_id`` go (``leave``) unless they come back within the grace."""
        self._expiries[participant_id] = asyncio.create_task(self._expire(participant_id, leave))

    async def _expire(self, participant_id: str, leave: Callable[[str], Awaitable[None]]) -> None:
        await asyncio.sleep(self._grace)
        self._expiries.pop(participant_id, None)
        await leave(participant_id)

    def cancel_expiry(self, participant_id: str) -> None:
        task = self._expiries.pop(participant_id, None)
        # Not the expiry itself, which is leaving on its own behalf.
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def cancel_expiries(self) -> None:
        for task in self._expiries.values():
            task.cancel()
        self._expiries.clear()

    # --- sending ---

    def send(self, participant_id: str, message: dict[str, Any]) -> None:
        connection = self.open.get(participant_id)
        if connection is not None:
            connection.send(message)

    def tell(self, person_id: int, message: dict[str, Any]) -> bool:
        """Sends a message to one person if connected; True if they were."""
        connection = self.open.get(participant_id_of(person_id))
        if connection is not None:
            connection.send(message)
        return connection is not None

    def tell_moderators(self, message: dict[str, Any]) -> None:
        for participant in self._rules.participants.values():
            if participant.moderates:
                self.send(participant.participant_id, message)

    def notify_all(self, message: dict[str, Any]) -> None:
        for connection in self.open.values():
            connection.send(message)

    def broadcast(
        self, message: dict[str, Any], skip: str | None = None, subject: Participant | None = None
    ) -> None:
        """Roster news; exam students hear only of moderators (whom they may write to)."""
        if subject is None and "participant" in message:
            subject = self._rules.participants.get(message["participant"]["participant_id"])
        for participant_id, connection in self.open.items():
            if participant_id != skip and self._may_hear_of(participant_id, subject):
                connection.send(message)

    def _may_hear_of(self, participant_id: str, subject: Participant | None) -> bool:
        listener = self._rules.participants.get(participant_id)
        if listener is None or self._rules.sees_roster(listener):
            return True
        return subject is not None and (subject.moderates or subject is listener)
