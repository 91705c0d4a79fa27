"""JSON shapes of the inbox, with senders' names, files and receipts read in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import iso_utc
from server.db.models import (
    Conversation,
    ConversationMember,
    InboxDelivery,
    InboxMessage,
    InboxMessageFile,
    Person,
    Upload,
)


def file_json(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "name": upload.name,
        "size": upload.length,
        "sha256": upload.sha256,
        "media_type": upload.media_type,
        "url": f"/api/uploads/{upload.id}/content",
    }


def conversation_json(
    conversation: Conversation, members: list[dict[str, Any]], unread: int
) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "kind": conversation.kind,
        "course_id": conversation.course_id,
        "group_id": conversation.group_id,
        "created_by": conversation.created_by,
        "members": members,
        "unread": unread,
        "last_message_at": iso_utc(conversation.last_message_at),
    }


@dataclass
class MessageRows:
    """Names, files and receipts of a batch of messages, to shape each as JSON."""

    names: dict[int, str]
    files: dict[int, list[Upload]]
    receipts: dict[int, list[dict[str, Any]]] | None = field(default=None)

    @classmethod
    async def load(
        cls, db: AsyncSession, messages: Sequence[InboxMessage], receipts: bool = False
    ) -> MessageRows:
        ids = [m.id for m in messages]
        senders = {m.sender_id for m in messages}
        names = dict(
            (
                await db.execute(select(Person.id, Person.full_name).where(Person.id.in_(senders)))
            ).all()
        )
        files: dict[int, list[Upload]] = {}
        rows = await db.execute(
            select(InboxMessageFile.message_id, Upload)
            .join(Upload, Upload.id == InboxMessageFile.upload_id)
            .where(InboxMessageFile.message_id.in_(ids))
            .order_by(InboxMessageFile.message_id, InboxMessageFile.position)
        )
        for message_id, upload in rows:
            files.setdefault(message_id, []).append(upload)
        found = cls(names, files)
        if receipts:
            found.receipts = await _receipts(db, messages)
        return found

    @staticmethod
    def fresh(message: InboxMessage, sender_name: str, uploads: list[Upload]) -> dict[str, Any]:
        return MessageRows({message.sender_id: sender_name}, {message.id: uploads}).json(message)

    def json(self, message: InboxMessage) -> dict[str, Any]:
        shaped = {
            "id": message.id,
            "conversation_id": message.conversation_id,
            "sender_id": message.sender_id,
            "sender_name": self.names.get(message.sender_id, ""),
            "text": message.text,
            "files": [file_json(u) for u in self.files.get(message.id, [])],
            "idempotency_key": message.idempotency_key,
            "sent_at": iso_utc(message.created_at),
        }
        if self.receipts is not None:
            shaped["read_by"] = self.receipts.get(message.id, [])
        return shaped

    @staticmethod
    async def members(db: AsyncSession, conversation_ids: list[int]) -> dict[int, list[Any]]:
        rows = await db.execute(
            select(ConversationMember.conversation_id, Person.id, Person.full_name, Person.role)
            .join(Person, Person.id == ConversationMember.person_id)
            .where(ConversationMember.conversation_id.in_(conversation_ids))
            .order_by(Person.full_name)
        )
        found: dict[int, list[Any]] = {}
        for conversation_id, person_id, name, role in rows:
            found.setdefault(conversation_id, []).append(
                {"id": person_id, "full_name": name, "role": role}
            )
        return found


async def _receipts(
    db: AsyncSession, messages: Sequence[InboxMessage]
) -> dict[int, list[dict[str, Any]]]:
    """Who (other than the sender) has read each message, and when."""
    senders = {m.id: m.sender_id for m in messages}
    rows = await db.execute(
        select(InboxDelivery.message_id, InboxDelivery.person_id, InboxDelivery.read_at).where(
            InboxDelivery.message_id.in_(list(senders)), InboxDelivery.read_at.is_not(None)
        )
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for message_id, person_id, read_at in rows:
        if person_id != senders[message_id]:
            found.setdefault(message_id, []).append(
                {"person_id": person_id, "read_at": iso_utc(read_at)}
            )
    return found
