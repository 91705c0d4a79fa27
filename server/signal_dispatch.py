"""Applies one validated signalling message to the live room."""

from __future__ import annotations

from typing import Any

from server.errors import BadRequest, ValidationFailed
from server.live import LiveRoom
from server.rooms import Participant
from server.signal_messages import (
    AnyMessage,
    ChatDeleteMessage,
    ChatMessage,
    ChatSinceMessage,
    ChatStudentsMessage,
    FloorMessage,
    HandMessage,
    JoinMessage,
    LowerHandMessage,
    ModerateMessage,
    MuteMessage,
    PingMessage,
    PublishMessage,
    RestartSubscriptionMessage,
    StatsMessage,
    SubscriptionAnswerMessage,
    TalkToMessage,
    UnpublishMessage,
)


async def dispatch(
    room: LiveRoom, participant: Participant, message: AnyMessage
) -> dict[str, Any] | None:
    """Returns a direct reply, if the message has one; raises AppError when refused."""
    match message:
        case JoinMessage():
            raise BadRequest("already joined")
        case PublishMessage(sdp=sdp, labels=labels):
            await room.publish(participant, sdp, dict(labels))
        case SubscriptionAnswerMessage(sdp=sdp):
            await room.answer_subscription(participant, sdp)
        case MuteMessage(track_id=track_id, muted=muted):
            await room.mute_own(participant, track_id, muted)
        case UnpublishMessage(track_id=track_id):
            await room.unpublish(participant, track_id)
        case RestartSubscriptionMessage():
            await room.restart_subscription(participant)
        case HandMessage(raised=raised):
            await room.raise_hand(participant, raised)
        case LowerHandMessage(participant_id=target):
            await room.lower_hand(participant, target)
        case FloorMessage(participant_id=target, granted=granted):
            await room.set_floor(participant, target, granted)
        case ModerateMessage():
            await _moderate(room, participant, message)
        case TalkToMessage(person_id=person_id):
            return await room.talk_to(participant, person_id)
        case ChatMessage(text=text, nonce=nonce, to=to, announcement=announcement):
            entry = await room.chat.post(participant, text, nonce, to, announcement)
            return _ack(entry)
        case ChatSinceMessage(since=since):
            await room.chat.replay(participant, since)
        case ChatDeleteMessage(id=seq, nonce=nonce):
            return _ack(await room.chat.delete(participant, seq, nonce))
        case ChatStudentsMessage(enabled=enabled, nonce=nonce):
            return _ack(await room.chat.allow_students(participant, enabled, nonce))
        case StatsMessage():
            await room.stats(participant)
        case PingMessage():
            return {"type": "pong"}
    return None


def _ack(entry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "chat_ack", "nonce": entry["nonce"], "id": entry["id"]}


async def _moderate(room: LiveRoom, actor: Participant, message: ModerateMessage) -> None:
    target = message.participant_id
    if message.action in ("remove",) and target is None:
        raise ValidationFailed("remove needs participant_id")
    match message.action:
        case "mute":
            if target is None:
                raise ValidationFailed("mute needs participant_id (or use mute_all)")
            await room.mute(actor, target)
        case "mute_all":
            await room.mute(actor, None)
        case "remove":
            assert target is not None
            await room.remove(actor, target)
        case "lock" | "unlock":
            await room.lock(actor, message.action == "lock")
        case "end":
            await room.end_by(actor)
