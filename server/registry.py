"""The live rooms of one process: opened on first join, closed when empty or ended."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from media.room import MediaConfig
from server.bus import Bus
from server.chat import ChatService
from server.db.models import SessionKind
from server.live import ExamObserver, HandHook, LiveRoom, PublishGate, RoomDeps
from server.presence_recorder import PresenceRecorder
from server.room_chat import ChatLimits, RoomChat


class RoomObserver(Protocol):
    """Told when a room opens and closes (the recording service starts automatic recordings)."""

    def room_opened(self, session_id: int, kind: SessionKind) -> None: ...

    def room_closed(self, session_id: int) -> None: ...


class RoomRegistry:
    """The live rooms of this process, created on first join and closed when empty or ended."""

    def __init__(
        self,
        media_config: MediaConfig,
        resume_grace_seconds: float,
        ice_servers: list[dict[str, Any]],
        record_end: Callable[[int], Awaitable[None]],
        chat: ChatService,
        bus: Bus,
        chat_limits: ChatLimits,
        presence: PresenceRecorder,
        heartbeat_seconds: float = 30,
    ) -> None:
        self._presence = presence
        self._heartbeat_seconds = heartbeat_seconds
        self._chat_limits = chat_limits
        self._record_end = record_end
        self._chat = chat
        self._bus = bus
        self._config = media_config
        self._grace = resume_grace_seconds
        self._ice_servers = ice_servers
        self._rooms: dict[int, LiveRoom] = {}
        # Lock and removals outlive a room that empties and opens again within the session.
        self._remembered: dict[int, tuple[bool, set[int]]] = {}
        self._lock = asyncio.Lock()
        self.observers: list[RoomObserver] = []
        self.publish_gate: PublishGate | None = None
        self.exam_observer: ExamObserver | None = None
        self.on_hand: HandHook | None = None

    def get(self, session_id: int) -> LiveRoom | None:
        return self._rooms.get(session_id)

    async def open(self, session_id: int, kind: SessionKind, tutor_person_id: int) -> LiveRoom:
        async with self._lock:
            room = self._rooms.get(session_id)
            if room is None:
                chat = partial(
                    RoomChat,
                    tutor_person_id=tutor_person_id,
                    chat=self._chat,
                    bus=self._bus,
                    limits=self._chat_limits,
                )
                deps = RoomDeps(
                    media_config=self._config,
                    resume_grace_seconds=self._grace,
                    ice_servers=self._ice_servers,
                    chat=chat,
                    on_empty=self._close_empty,
                    on_end=self._end_requested,
                    presence=self._presence.note,
                    heartbeat_seconds=self._heartbeat_seconds,
                    publish_gate=self.publish_gate,
                    exam_observer=self.exam_observer,
                    on_hand=self.on_hand,
                )
                room = LiveRoom(session_id, kind, deps)
                locked, removed = self._remembered.pop(session_id, (False, set()))
                room.rules.locked, room.rules.removed = locked, removed
                await room.chat.start()
                self._rooms[session_id] = room
                for observer in self.observers:
                    observer.room_opened(session_id, kind)
            return room

    async def _close_empty(self, room: LiveRoom) -> None:
        async with self._lock:
            if room.rules.participants or self._rooms.get(room.session_id) is not room:
                return
            del self._rooms[room.session_id]
            room.retired = True
            self._remembered[room.session_id] = (room.rules.locked, room.rules.removed)
        self._closed(room.session_id)
        await room.close()

    def _closed(self, session_id: int) -> None:
        for observer in self.observers:
            observer.room_closed(session_id)

    async def _end_requested(self, room: LiveRoom) -> None:
        await self._record_end(room.session_id)
        await self.end(room.session_id)

    async def end(self, session_id: int) -> None:
        async with self._lock:
            room = self._rooms.pop(session_id, None)
        if room is not None:
            self._closed(session_id)
            await room.end()

    async def close(self) -> None:
        for session_id in list(self._rooms):
            with contextlib.suppress(Exception):
                await self.end(session_id)
        await self._presence.stop()
