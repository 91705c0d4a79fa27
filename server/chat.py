"""Session chat: one persisted, ordered log per session, delivered over the bus.

Every entry is stored before it is acknowledged and takes the next per-session ``seq``; a resend
with the same client nonce returns the stored entry instead of making a second one. Nodes learn
of new entries from the bus subject ``chat.{session_id}`` and pass them to their participants.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.bus import Bus
from server.clock import iso_utc
from server.db.models import ChatCounter, ChatEntry, ChatKind, Person, utcnow
from server.errors import ValidationFailed

log = logging.getLogger(__name__)
MAX_TEXT = 2000


def chat_subject(session_id: int) -> str:
    return f"chat.{session_id}"


@dataclass(frozen=True)
class Draft:
    """What a sender asks to add to the log."""

    session_id: int
    sender_id: int
    nonce: str
    kind: ChatKind
    text: str = ""
    recipient_id: int | None = None
    target_seq: int | None = None
    students_may_chat: bool | None = None


def entry_json(entry: ChatEntry, sender_name: str) -> dict[str, Any]:
    deleted = entry.deleted_at is not None
    return {
        "id": entry.seq,
        "kind": entry.kind,
        "sender_id": entry.sender_id,
        "sender_name": sender_name,
        "recipient_id": entry.recipient_id,
        "text": "" if deleted else entry.text,
        "deleted": deleted,
        "target_id": entry.target_seq,
        "students_may_chat": entry.students_may_chat,
        "nonce": entry.nonce,
        "sent_at": iso_utc(entry.created_at),
    }


def visible_to(entry: dict[str, Any], person_id: int) -> bool:
    recipient = entry["recipient_id"]
    return recipient is None or person_id in (recipient, entry["sender_id"])


class ChatService:
    """Appends to and reads from session chat logs."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: Bus) -> None:
        self._sessions = sessions
        self._bus = bus

    async def append(self, draft: Draft) -> tuple[dict[str, Any], bool]:
        """Stores the entry (or finds it by nonce); returns it and whether it is new."""
        _check_text(draft)
        async with self._sessions() as db:
            existing = await _by_nonce(db, draft)
            if existing is not None:
                return existing, False
            try:
                entry = await self._insert(db, draft)
            except IntegrityError:
                # The same nonce was stored by a concurrent resend (maybe on another node).
                await db.rollback()
                existing = await _by_nonce(db, draft)
                if existing is None:
                    raise
                return existing, False
        await self._announce(draft.session_id, entry)
        return entry, True

    async def _announce(self, session_id: int, entry: dict[str, Any]) -> None:
        try:
            await self._bus.publish(chat_subject(session_id), entry)
        except Exception:
            # Stored is what counts: clients catch up with "since" when the bus is back.
            log.exception(
                "chat entry %s of session %s stored but not published", entry["id"], session_id
            )

    async def _insert(self, db: AsyncSession, draft: Draft) -> dict[str, Any]:
        entry = ChatEntry(
            session_id=draft.session_id,
            seq=await _next_seq(db, draft.session_id),
            kind=draft.kind.value,
            sender_id=draft.sender_id,
            recipient_id=draft.recipient_id,
            text=draft.text,
            nonce=draft.nonce,
            target_seq=draft.target_seq,
            students_may_chat=draft.students_may_chat,
            created_at=utcnow(),
        )
        db.add(entry)
        if draft.kind == ChatKind.DELETION:
            await db.execute(
                update(ChatEntry)
                .where(ChatEntry.session_id == draft.session_id, ChatEntry.seq == draft.target_seq)
                .values(deleted_at=entry.created_at)
            )
        await db.commit()
        return entry_json(entry, await _name(db, draft.sender_id))

    async def by_nonce(self, session_id: int, sender_id: int, nonce: str) -> dict[str, Any] | None:
        """The entry this sender already stored with this nonce, if any."""
        draft = Draft(session_id, sender_id, nonce, ChatKind.MESSAGE)
        async with self._sessions() as db:
            return await _by_nonce(db, draft)

    async def since(self, session_id: int, person_id: int, after: int) -> list[dict[str, Any]]:
        """Every entry after ``after`` that this person may see, in order."""
        last = await self.last_seq(session_id)
        if after < 0 or after > last:
            raise ValidationFailed(f"since must be between 0 and this room's last id ({last})")
        return [e for e in await self.after(session_id, after) if visible_to(e, person_id)]

    async def everything(self, session_id: int) -> list[dict[str, Any]]:
        return await self.after(session_id, 0)

    async def after(self, session_id: int, after: int) -> list[dict[str, Any]]:
        query = (
            select(ChatEntry, Person.full_name)
            .join(Person, Person.id == ChatEntry.sender_id)
            .where(ChatEntry.session_id == session_id, ChatEntry.seq > after)
            .order_by(ChatEntry.seq)
        )
        async with self._sessions() as db:
            rows = (await db.execute(query)).all()
        return [entry_json(entry, name) for entry, name in rows]

    async def last_seq(self, session_id: int) -> int:
        async with self._sessions() as db:
            last = await db.scalar(
                select(func.max(ChatEntry.seq)).where(ChatEntry.session_id == session_id)
            )
        return int(last or 0)

    async def message(self, session_id: int, seq: int) -> ChatEntry | None:
        async with self._sessions() as db:
            found: ChatEntry | None = await db.scalar(
                select(ChatEntry).where(ChatEntry.session_id == session_id, ChatEntry.seq == seq)
            )
        return found

    async def students_may_chat(self, session_id: int) -> bool:
        """The latest chat setting of the session (students may chat unless turned off)."""
        async with self._sessions() as db:
            latest = await db.scalar(
                select(ChatEntry.students_may_chat)
                .where(ChatEntry.session_id == session_id, ChatEntry.kind == ChatKind.SETTING)
                .order_by(ChatEntry.seq.desc())
                .limit(1)
            )
        return latest is not False


async def _next_seq(db: AsyncSession, session_id: int) -> int:
    """Takes the session's next number; the counter row stays locked until this transaction
    ends, so concurrent writers (on any node) queue instead of colliding."""
    await db.execute(
        insert(ChatCounter).values(session_id=session_id, last_seq=0).prefix_with("OR IGNORE")
        if db.get_bind().dialect.name == "sqlite"
        else pg_insert(ChatCounter)
        .values(session_id=session_id, last_seq=0)
        .on_conflict_do_nothing()
    )
    taken = await db.scalar(
        update(ChatCounter)
        .where(ChatCounter.session_id == session_id)
        .values(last_seq=ChatCounter.last_seq + 1)
        .returning(ChatCounter.last_seq)
    )
    assert taken is not None
    return int(taken)


async def _by_nonce(db: AsyncSession, draft: Draft) -> dict[str, Any] | None:
    found = await db.scalar(
        select(ChatEntry).where(
            ChatEntry.session_id == draft.session_id,
            ChatEntry.sender_id == draft.sender_id,
            ChatEntry.nonce == draft.nonce,
        )
    )
    return None if found is None else entry_json(found, await _name(db, draft.sender_id))


async def _name(db: AsyncSession, person_id: int) -> str:
    return str(await db.scalar(select(Person.full_name).where(Person.id == person_id)) or "")


def _check_text(draft: Draft) -> None:
    if draft.kind not in (ChatKind.MESSAGE, ChatKind.ANNOUNCEMENT):
        return
    if not draft.text.strip():
        raise ValidationFailed("a message cannot be empty")
    if len(draft.text) > MAX_TEXT:
        raise ValidationFailed(f"a message may be at most {MAX_TEXT} characters")
