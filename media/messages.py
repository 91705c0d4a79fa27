"""The message-shaped boundary of media/: commands in, events out.

Plain frozen dataclasses of strings, numbers and tuples, so they can cross a process or node
boundary (a bus) unchanged. media/ never sees who a participant is, only opaque ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Join:
    participant_id: str


@dataclass(frozen=True)
class PublishOffer:
    """An SDP offer for the participant's publishing connection (new or renegotiated).
    `labels` maps mids to labels ("camera", "microphone", "screen"); unlabelled audio is
    "microphone", the first unlabelled video "camera", the next "screen"."""

    participant_id: str
    sdp: str
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SubscriptionAnswer:
    participant_id: str
    sdp: str


@dataclass(frozen=True)
class Allow:
    """The room's rule: `subscriber_id` may receive `publisher_id`'s tracks; with
    `auto_subscribe` it receives all of them, now and later. `labels` narrows that to tracks
    with one of these labels (e.g. ("microphone",)); allowing a pair again replaces the rule."""

    publisher_id: str
    subscriber_id: str
    auto_subscribe: bool = True
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Revoke:
    publisher_id: str
    subscriber_id: str


@dataclass(frozen=True)
class Subscribe:
    """Route a track to a subscriber, into a named slot if given. Re-pointing a slot at another
    track of the same codec switches the source without renegotiation."""

    subscriber_id: str
    track_id: str
    slot: str | None = None


@dataclass(frozen=True)
class Unsubscribe:
    subscriber_id: str
    slot: str


@dataclass(frozen=True)
class Mute:
    participant_id: str
    track_id: str
    muted: bool = True


@dataclass(frozen=True)
class Unpublish:
    participant_id: str
    track_id: str


@dataclass(frozen=True)
class RestartSubscription:
    """The client's subscription connection failed: build a new one and offer it."""

    participant_id: str


@dataclass(frozen=True)
class RequestStats:
    participant_id: str


@dataclass(frozen=True)
class Leave:
    participant_id: str


Command = (
    Join
    | PublishOffer
    | SubscriptionAnswer
    | Allow
    | Revoke
    | Subscribe
    | Unsubscribe
    | Mute
    | Unpublish
    | RestartSubscription
    | RequestStats
    | Leave
)

# --- events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    participant_id: str
    sdp: str


@dataclass(frozen=True)
class SlotInfo:
    """What arrives on one m-line of a subscription connection."""

    mid: str
    slot: str
    track_id: str
    publisher_id: str
    label: str
    kind: str


@dataclass(frozen=True)
class SubscriptionOffer:
    """Server-initiated offer (first or renegotiation); `slots` lists the active m-lines, any
    other m-line is inactive."""

    participant_id: str
    sdp: str
    slots: tuple[SlotInfo, ...]


@dataclass(frozen=True)
class TrackAdded:
    track_id: str
    publisher_id: str
    label: str
    kind: str
    mime_type: str


@dataclass(frozen=True)
class TrackRemoved:
    track_id: str
    publisher_id: str
    label: str


@dataclass(frozen=True)
class TrackMuted:
    track_id: str
    publisher_id: str
    muted: bool


@dataclass(frozen=True)
class KeyframeNeeded:
    """A keyframe was requested upstream for this track (at most one per 300 ms)."""

    track_id: str
    publisher_id: str


@dataclass(frozen=True)
class PublishedStats:
    track_id: str
    label: str
    packets_in: int
    keyframes_in: int
    keyframe_requests_sent: int
    keyframe_requests_coalesced: int
    subscribers: int
    muted: bool


@dataclass(frozen=True)
class SubscribedStats:
    slot: str
    track_id: str | None
    packets_sent: int
    retransmitted: int
    nacked: int
    fraction_lost: int
    remb_bitrate: int | None


@dataclass(frozen=True)
class Stats:
    participant_id: str
    published: tuple[PublishedStats, ...] = ()
    subscribed: tuple[SubscribedStats, ...] = ()


@dataclass(frozen=True)
class PeerClosed:
    """A connection of the participant failed or closed; the server side is cleaned up.
    `role` is "publish" (send a new PublishOffer) or "subscribe" (send RestartSubscription)."""

    participant_id: str
    role: str
    reason: str


@dataclass(frozen=True)
class CommandFailed:
    """A command was refused. `code` is one of: "sdp", "route", "state"."""

    participant_id: str
    command: str
    code: str
    message: str


@dataclass(frozen=True)
class SubscriptionLimited:
    """The tracks held back from a subscriber because it already receives `limit` tracks
    (oldest first; each is routed as soon as a slot frees). Emitted whenever the set changes;
    an empty `track_ids` means nothing is held back any more."""

    participant_id: str
    track_ids: tuple[str, ...]
    limit: int


@dataclass(frozen=True)
class Left:
    participant_id: str
    removed_tracks: tuple[str, ...] = field(default=())


Event = (
    Answer
    | SubscriptionOffer
    | TrackAdded
    | TrackRemoved
    | TrackMuted
    | KeyframeNeeded
    | Stats
    | PeerClosed
    | CommandFailed
    | SubscriptionLimited
    | Left
)
