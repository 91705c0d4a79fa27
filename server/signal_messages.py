"""The client-to-server messages of the room signalling protocol (docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MAX_MESSAGE_BYTES = 64 * 1024
# A subscription answer has one m-line per stream the server offers (up to 64 streams, and
# inactive m-lines kept for reuse): it may be larger than any other message.
MAX_ANSWER_BYTES = 256 * 1024
TrackLabel = Literal["camera", "microphone", "screen"]
Sdp = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_BYTES)]
ParticipantId = Annotated[str, Field(min_length=1, max_length=32)]
TrackId = Annotated[str, Field(min_length=1, max_length=32)]


class ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    ref: Annotated[str, Field(max_length=64)] | None = None


class JoinMessage(ClientMessage):
    type: Literal["join"]
    token: Annotated[str, Field(min_length=1, max_length=4096)]
    chat_since: Annotated[int, Field(ge=0, le=2**31)] | None = None


class PublishMessage(ClientMessage):
    type: Literal["publish"]
    sdp: Sdp
    labels: Annotated[
        dict[Annotated[str, Field(max_length=16)], TrackLabel], Field(max_length=8)
    ] = {}


class SubscriptionAnswerMessage(ClientMessage):
    type: Literal["subscription_answer"]
    sdp: Annotated[str, Field(min_length=1, max_length=MAX_ANSWER_BYTES)]


class MuteMessage(ClientMessage):
    type: Literal["mute"]
    track_id: TrackId
    muted: bool


class UnpublishMessage(ClientMessage):
    type: Literal["unpublish"]
    track_id: TrackId


class RestartSubscriptionMessage(ClientMessage):
    type: Literal["restart_subscription"]


class HandMessage(ClientMessage):
    type: Literal["hand"]
    raised: bool


class LowerHandMessage(ClientMessage):
    type: Literal["lower_hand"]
    participant_id: ParticipantId


class FloorMessage(ClientMessage):
    type: Literal["floor"]
    participant_id: ParticipantId
    granted: bool


class ModerateMessage(ClientMessage):
    type: Literal["moderate"]
    action: Literal["mute", "mute_all", "remove", "lock", "unlock", "end"]
    participant_id: ParticipantId | None = None


class TalkToMessage(ClientMessage):
    """Exam rooms: a moderator's microphone to one student privately (null: stop)."""

    type: Literal["talk_to"]
    person_id: Annotated[int, Field(ge=1, le=2**31)] | None


Nonce = Annotated[str, Field(min_length=1, max_length=64)]


class ChatMessage(ClientMessage):
    type: Literal["chat"]
    text: Annotated[str, Field(max_length=2000)]
    nonce: Nonce
    to: ParticipantId | None = None
    announcement: bool = False


class ChatSinceMessage(ClientMessage):
    type: Literal["chat_since"]
    since: Annotated[int, Field(ge=0, le=2**31)]


class ChatDeleteMessage(ClientMessage):
    type: Literal["chat_delete"]
    id: Annotated[int, Field(ge=1, le=2**31)]
    nonce: Nonce


class ChatStudentsMessage(ClientMessage):
    type: Literal["chat_students"]
    enabled: bool
    nonce: Nonce


class StatsMessage(ClientMessage):
    type: Literal["stats"]


class PingMessage(ClientMessage):
    type: Literal["ping"]


class LeaveMessage(ClientMessage):
    type: Literal["leave"]


AnyMessage = Annotated[
    JoinMessage
    | PublishMessage
    | SubscriptionAnswerMessage
    | MuteMessage
    | UnpublishMessage
    | RestartSubscriptionMessage
    | HandMessage
    | LowerHandMessage
    | FloorMessage
    | ModerateMessage
    | TalkToMessage
    | ChatMessage
    | ChatSinceMessage
    | ChatDeleteMessage
    | ChatStudentsMessage
    | StatsMessage
    | PingMessage
    | LeaveMessage,
    Field(discriminator="type"),
]
MESSAGES: TypeAdapter[AnyMessage] = TypeAdapter(AnyMessage)
KNOWN_TYPES = frozenset(
    {
        "join",
        "publish",
        "subscription_answer",
        "mute",
        "unpublish",
        "restart_subscription",
        "hand",
        "lower_hand",
        "floor",
        "moderate",
        "talk_to",
        "chat",
        "chat_since",
        "chat_delete",
        "chat_students",
        "stats",
        "ping",
        "leave",
    }
)
