"""The inbox: messages stored once per client idempotency key and delivered into each member's
own numbered stream, then pushed over the bus (``inbox.{person_id}``) to wherever they are on-line.

Each member's next stream number is taken under the lock of their counter row (locked in person
order, so concurrent fan-outs never deadlock), so one person's stream is committed in number
order and a client asking "since N" after a reconnect misses nothing and gets nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.bus import Bus
from server.db.models import (
    Conversation,
    ConversationMember,
    InboxCounter,
    InboxDelivery,
    InboxMessage,
    InboxMessageFile,
    Upload,
    utcnow,
)
from server.db.upsert import insert_ignore
from server.idempotency import check_replay, fingerprint
from server.inbox_rules import Target, member_conversation, resolve
from server.inbox_views import MessageRows, conversation_json
from server.offline_schemas import MessageIn
from server.uploads import owned_complete

log = logging.getLogger(__name__)
MAX_EVENTS = 500


def inbox_subject(person_id: int) -> str:
    return f"inbox.{person_id}"


class Notifier(Protocol):
    """Told of every new message after it is stored (e-mail), never on the request path."""

    def notify(self, recipient_ids: Sequence[int], message: dict[str, Any]) -> None: ...


class InboxService:
    """Sends, lists, marks read and searches inbox messages."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bus: Bus, notifier: Notifier
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._notifier = notifier

    async def send(self, viewer: Viewer, body: MessageIn, key: str) -> tuple[dict[str, Any], bool]:
        """Stores the message (or finds it by key: 409 if its content differs); returns it and
        whether it is new."""
        digest = fingerprint(body.model_dump(mode="json"))
        async with self._sessions() as db:
            replay = await _replay(db, viewer.person_id, key, digest)
            if replay is not None:
                return replay, False
            target = await resolve(db, viewer, body)
            uploads = await owned_complete(db, viewer.person_id, body.upload_ids)
            try:
                message, seqs = await _store(db, viewer, target, body.text, key, digest, uploads)
            except IntegrityError:
                await db.rollback()  # the same key, stored by a concurrent resend
                replay = await _replay(db, viewer.person_id, key, digest)
                if replay is None:
                    raise
                return replay, False
        await self._announce(message, seqs, viewer.person_id)
        return message, True

    async def _announce(self, message: dict[str, Any], seqs: dict[int, int], sender: int) -> None:
        for person_id, seq in seqs.items():
            event = {"type": "message", "seq": seq, "message": message}
            try:
                await self._bus.publish(inbox_subject(person_id), event)
            except Exception:
                # Stored is what counts: the client catches up with "since" on reconnect.
                log.exception("inbox message %s stored but not published", message["id"])
        self._notifier.notify([p for p in seqs if p != sender], message)

    async def since(self, person_id: int, after: int, limit: int = MAX_EVENTS) -> list[Any]:
        """The person's stream after number ``after``: ``{"seq", "message"}`` in order."""
        async with self._sessions() as db:
            rows = (
                await db.execute(
                    select(InboxDelivery.seq, InboxMessage)
                    .join(InboxMessage, InboxMessage.id == InboxDelivery.message_id)
                    .where(InboxDelivery.person_id == person_id, InboxDelivery.seq > after)
                    .order_by(InboxDelivery.seq)
                    .limit(limit)
                )
            ).all()
            shaped = await MessageRows.load(db, [m for _, m in rows])
        return [{"type": "message", "seq": seq, "message": shaped.json(m)} for seq, m in rows]

    async def last_seq(self, person_id: int) -> int:
        async with self._sessions() as db:
            found = await db.scalar(
                select(InboxCounter.last_seq).where(InboxCounter.person_id == person_id)
            )
        return int(found or 0)

    async def conversations(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The viewer's conversations, latest first, with members and unread counts."""
        async with self._sessions() as db:
            found = list(
                await db.scalars(
                    select(Conversation)
                    .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
                    .where(ConversationMember.person_id == viewer.person_id)
                    .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
                )
            )
            unread = await _unread(db, viewer.person_id)
            members = await MessageRows.members(db, [c.id for c in found])
        return [conversation_json(c, members.get(c.id, []), unread.get(c.id, 0)) for c in found]

    async def messages(
        self, viewer: Viewer, conversation_id: int, before: int | None, limit: int
    ) -> dict[str, Any]:
        """A page of a conversation, newest first, with read receipts."""
        async with self._sessions() as db:
            conversation = await member_conversation(db, viewer, conversation_id)
            query = select(InboxMessage).where(InboxMessage.conversation_id == conversation.id)
            if before is not None:
                query = query.where(InboxMessage.id < before)
            found = list(await db.scalars(query.order_by(InboxMessage.id.desc()).limit(limit)))
            shaped = await MessageRows.load(db, found, receipts=True)
            members = await MessageRows.members(db, [conversation.id])
            unread = await _unread(db, viewer.person_id)
        return {
            "conversation": conversation_json(
                conversation, members.get(conversation.id, []), unread.get(conversation.id, 0)
            ),
            "messages": [shaped.json(m) for m in found],
        }

    async def mark_read(self, viewer: Viewer, conversation_id: int, up_to: int) -> dict[str, Any]:
        """The viewer's read receipt for every message up to ``up_to``; others are told."""
        now = utcnow()
        async with self._sessions() as db:
            await member_conversation(db, viewer, conversation_id)
            await db.execute(
                update(InboxDelivery)
                .where(
                    InboxDelivery.person_id == viewer.person_id,
                    InboxDelivery.conversation_id == conversation_id,
                    InboxDelivery.message_id <= up_to,
                    InboxDelivery.read_at.is_(None),
                )
                .values(read_at=now)
                .execution_options(synchronize_session=False)
            )
            await db.commit()
            others = await MessageRows.members(db, [conversation_id])
            unread = await _unread(db, viewer.person_id)
        receipt = {
            "type": "read",
            "conversation_id": conversation_id,
            "person_id": viewer.person_id,
            "up_to": up_to,
            "read_at": now.isoformat().replace("+00:00", "Z"),
        }
        for member in others.get(conversation_id, []):
            if member["id"] != viewer.person_id:
                await self._bus.publish(inbox_subject(member["id"]), receipt)
        return {**receipt, "unread": unread.get(conversation_id, 0)}

    async def unread(self, viewer: Viewer) -> dict[str, Any]:
        async with self._sessions() as db:
            counts = await _unread(db, viewer.person_id)
        return {"total": sum(counts.values()), "conversations": counts}

    async def search(self, viewer: Viewer, text: str, limit: int) -> list[dict[str, Any]]:
        """The viewer's messages containing ``text``, any case, any script; newest first."""
        pattern = "%" + _escape_like(text.casefold()) + "%"
        async with self._sessions() as db:
            found = list(
                await db.scalars(
                    select(InboxMessage)
                    .join(InboxDelivery, InboxDelivery.message_id == InboxMessage.id)
                    .where(
                        InboxDelivery.person_id == viewer.person_id,
                        InboxMessage.folded.like(pattern, escape="\\"),
                    )
                    .order_by(InboxMessage.id.desc())
                    .limit(limit)
                )
            )
            shaped = await MessageRows.load(db, found)
        return [shaped.json(m) for m in found]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _unread(db: AsyncSession, person_id: int) -> dict[int, int]:
    rows = await db.execute(
        select(InboxDelivery.conversation_id, func.count())
        .where(InboxDelivery.person_id == person_id, InboxDelivery.read_at.is_(None))
        .group_by(InboxDelivery.conversation_id)
    )
    return {int(c): int(n) for c, n in rows.all()}


async def _replay(db: AsyncSession, sender: int, key: str, digest: str) -> dict[str, Any] | None:
    found = await db.scalar(
        select(InboxMessage).where(
            InboxMessage.sender_id == sender, InboxMessage.idempotency_key == key
        )
    )
    if found is None:
        return None
    check_replay(found.content_hash, digest)
    return (await MessageRows.load(db, [found])).json(found)


async def _store(
    db: AsyncSession,
    viewer: Viewer,
    target: Target,
    text: str,
    key: str,
    digest: str,
    uploads: list[Upload],
) -> tuple[dict[str, Any], dict[int, int]]:
    now = utcnow()
    conversation_id = target.conversation_id or await _open(db, viewer, target)
    message = InboxMessage(
        conversation_id=conversation_id,
        sender_id=viewer.person_id,
        text=text,
        folded=text.casefold(),
        idempotency_key=key,
        content_hash=digest,
        created_at=now,
    )
    db.add(message)
    await db.flush()
    db.add_all(
        InboxMessageFile(message_id=message.id, position=i, upload_id=u.id)
        for i, u in enumerate(uploads)
    )
    seqs = await _take_seqs(db, target.members)
    await db.execute(
        insert(InboxDelivery),
        [
            {
                "person_id": person_id,
                "seq": seq,
                "message_id": message.id,
                "conversation_id": conversation_id,
                "read_at": now if person_id == viewer.person_id else None,
            }
            for person_id, seq in seqs.items()
        ],
    )
    await db.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(last_message_at=now)
    )
    await db.commit()
    return MessageRows.fresh(message, viewer.full_name, uploads), seqs


async def _open(db: AsyncSession, viewer: Viewer, target: Target) -> int:
    """Finds or makes the conversation of ``target`` and adds its members."""
    await insert_ignore(
        db,
        Conversation,
        [
            {
                "key": target.key,
                "kind": target.kind.value,
                "course_id": target.course_id,
                "group_id": target.group_id,
                "created_by": viewer.person_id,
                "created_at": utcnow(),
            }
        ],
    )
    found = await db.scalar(select(Conversation.id).where(Conversation.key == target.key))
    assert found is not None
    await insert_ignore(
        db,
        ConversationMember,
        [{"conversation_id": found, "person_id": p} for p in target.members],
    )
    return int(found)


async def _take_seqs(db: AsyncSession, members: Sequence[int]) -> dict[int, int]:
    """The next stream number of each member, their counter rows locked in person order."""
    people = sorted(set(members))
    await insert_ignore(db, InboxCounter, [{"person_id": p, "last_seq": 0} for p in people])
    await db.execute(
        select(InboxCounter.person_id)
        .where(InboxCounter.person_id.in_(people))
        .order_by(InboxCounter.person_id)
        .with_for_update()
    )
    rows = await db.execute(
        update(InboxCounter)
        .where(InboxCounter.person_id.in_(people))
        .values(last_seq=InboxCounter.last_seq + 1)
        .returning(InboxCounter.person_id, InboxCounter.last_seq)
        .execution_options(synchronize_session=False)
    )
    return {int(p): int(s) for p, s in rows.all()}
