"""Chat inside a live room: who may write what to whom, rate limits, and delivery to this node's
connections from the bus (so a message sent on another node arrives here too)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from server.bus import Bus, Subscription
from server.chat import ChatService, Draft, chat_subject
from server.chat_feed import ChatFeed
from server.db.models import ChatKind, Role
from server.errors import Forbidden, NotFound, RateLimited, ValidationFailed
from server.ratelimit import TokenBucket
from server.rooms import Participant, RoomRules
from server.tokens import EXAM_KINDS, Grant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatLimits:
    """How fast one person may write in one room."""

    per_second: float = 2
    burst: float = 10


class RoomChat:
    """The chat of one live room on this node."""

    def __init__(
        self,
        rules: RoomRules,
        tutor_person_id: int,
        chat: ChatService,
        bus: Bus,
        limits: ChatLimits,
    ) -> None:
        self._limits = limits
        self._rules = rules
        self._tutor = tutor_person_id
        self._chat = chat
        self._bus = bus
        self._feeds: dict[str, ChatFeed] = {}
        self._buckets: dict[int, TokenBucket] = {}
        self._subscription: Subscription | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def session_id(self) -> int:
        return self._rules.session_id

    async def start(self) -> None:
        self._subscription = await self._bus.subscribe(chat_subject(self.session_id))
        self._reader = asyncio.create_task(self._read(self._subscription))

    async def _read(self, subscription: Subscription) -> None:
        async for entry in subscription:
            for feed in list(self._feeds.values()):
                try:
                    await feed.deliver(entry)
                except Exception:
                    log.exception("chat delivery failed in session %s", self.session_id)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._subscription is not None:
            await self._subscription.close()
        self._feeds.clear()

    async def attach(self, participant: Participant, send: Any, since: int | None) -> None:
        """Starts this connection's feed: from now on, or replaying everything after ``since``."""
        last = await self._chat.last_seq(self.session_id)
        fetch = partial(self._chat.after, self.session_id)
        pid = participant.participant_id
        if since is None:
            self._feeds[pid] = ChatFeed(participant.person_id, last, fetch, send)
            return
        self._check_since(since, last)
        feed = ChatFeed(participant.person_id, since, fetch, send)
        await feed.start(since, partial(self._feeds.__setitem__, pid, feed))

    async def check_since(self, since: int) -> None:
        self._check_since(since, await self._chat.last_seq(self.session_id))

    @staticmethod
    def _check_since(since: int, last: int) -> None:
        if since > last:
            raise ValidationFailed(f"since {since} is beyond this room's last id ({last})")

    def detach(self, participant_id: str) -> None:
        self._feeds.pop(participant_id, None)

    async def replay(self, participant: Participant, since: int) -> None:
        self._check_since(since, await self._chat.last_seq(self.session_id))
        feed = self._feeds.get(participant.participant_id)
        if feed is not None:
            await feed.replay(since)

    async def post(
        self, sender: Participant, text: str, nonce: str, to: str | None, announcement: bool
    ) -> dict[str, Any]:
        # A resend of something already stored is acknowledged whatever the limits say now.
        stored = await self._chat.by_nonce(self.session_id, sender.person_id, nonce)
        if stored is not None:
            return stored
        self._limit(sender)
        recipient = await self._recipient(sender, to) if to is not None else None
        if announcement:
            self._rules.require_moderator(sender)
        elif recipient is None:
            await self._check_room_message(sender)
        kind = ChatKind.ANNOUNCEMENT if announcement else ChatKind.MESSAGE
        draft = Draft(self.session_id, sender.person_id, nonce, kind, text, recipient)
        entry, _new = await self._chat.append(draft)
        return entry

    def _limit(self, sender: Participant) -> None:
        bucket = self._buckets.setdefault(
            sender.person_id, TokenBucket(self._limits.per_second, self._limits.burst)
        )
        if not bucket.take():
            raise RateLimited("you are sending messages too fast; wait a moment", 1)

    async def _check_room_message(self, sender: Participant) -> None:
        if Grant.CHAT not in sender.grants:
            raise Forbidden("you may not chat in this room")
        if sender.role != Role.STUDENT:
            return
        if self._rules.kind in EXAM_KINDS:
            raise Forbidden("during an exam, write to the proctor or the tutor privately")
        if not await self._chat.students_may_chat(self.session_id):
            raise Forbidden("the tutor has turned student chat off")

    async def _recipient(self, sender: Participant, to: str) -> int:
        """A private message goes between a student and the tutor or a proctor."""
        if Grant.CHAT not in sender.grants:
            raise Forbidden("you may not chat in this room")
        target = self._rules.participants.get(to)
        if target is None:
            if sender.role == Role.STUDENT and to == f"p{self._tutor}":
                return self._tutor
            raise NotFound(f"participant {to} is not in the room")
        if target is sender:
            raise ValidationFailed("write to someone else")
        pair = {sender.role == Role.STUDENT, target.role == Role.STUDENT}
        moderated = sender.moderates or target.moderates
        if pair != {True, False} or not moderated:
            raise Forbidden("private messages go between a student and the tutor or a proctor")
        return target.person_id

    async def delete(self, actor: Participant, seq: int, nonce: str) -> dict[str, Any]:
        self._rules.require_moderator(actor)
        target = await self._chat.message(self.session_id, seq)
        if target is None or target.kind not in (ChatKind.MESSAGE, ChatKind.ANNOUNCEMENT):
            raise NotFound(f"no message {seq} in this room")
        draft = Draft(self.session_id, actor.person_id, nonce, ChatKind.DELETION, target_seq=seq)
        entry, _new = await self._chat.append(draft)
        return entry

    async def allow_students(self, actor: Participant, enabled: bool, nonce: str) -> dict[str, Any]:
        self._rules.require_moderator(actor)
        draft = Draft(
            self.session_id, actor.person_id, nonce, ChatKind.SETTING, students_may_chat=enabled
        )
        entry, _new = await self._chat.append(draft)
        return entry
