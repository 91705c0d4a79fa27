"""The media room's configuration and per-participant state (plain data, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field

from media.forwarder import TrackForwarder
from media.peer import PublishPeer, SubscribePeer
from media.router import MAX_SUBSCRIBED_TRACKS, TrackInfo
from media.sdp import SdpLimits


class StateError(Exception):
    """A command that does not fit the participant's current state."""


@dataclass(frozen=True)
class MediaConfig:
    """`host_addresses`: restrict ICE host candidates to these addresses while the room is open
    (tests use ("127.0.0.1",)); None gathers on every interface as aioice does.
    `sdp_limits` apply to what clients offer; a subscription answer may carry as many media
    sections as the server offered. `max_subscribed_tracks`: the most tracks one subscriber
    receives at once (more are held back: `SubscriptionLimited`)."""

    host_addresses: tuple[str, ...] | None = None
    sdp_limits: SdpLimits = field(default_factory=SdpLimits)
    cache_size: int = 512
    max_subscribed_tracks: int = MAX_SUBSCRIBED_TRACKS


@dataclass
class Published:
    """A track a participant publishes: its mid on their publish connection, its forwarder."""

    info: TrackInfo
    mid: str
    forwarder: TrackForwarder


@dataclass
class ParticipantMedia:
    """A participant's connections and tracks in the media room."""

    participant_id: str
    publish: PublishPeer | None = None
    subscribe: SubscribePeer | None = None
    published: dict[str, Published] = field(default_factory=dict)
    retired_mids: set[str] = field(default_factory=set)  # unpublished, client still sending
