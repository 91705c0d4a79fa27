"""Stats events built from forwarding counters."""

from __future__ import annotations

from collections.abc import Mapping

from media import messages as m
from media.forwarder import TrackForwarder
from media.peer import SubscribePeer


def participant_stats(
    participant_id: str,
    published: Mapping[str, tuple[str, TrackForwarder]],
    subscriber: SubscribePeer | None,
    slots: Mapping[str, str],
) -> m.Stats:
    """`published`: track id → (label, forwarder); `slots`: slot → track id."""
    return m.Stats(
        participant_id,
        tuple(_published(track_id, label, f) for track_id, (label, f) in published.items()),
        _subscribed(subscriber, slots),
    )


def _published(track_id: str, label: str, forwarder: TrackForwarder) -> m.PublishedStats:
    return m.PublishedStats(
        track_id=track_id,
        label=label,
        packets_in=forwarder.packets_in,
        keyframes_in=forwarder.keyframes_in,
        keyframe_requests_sent=forwarder.keyframe_requests_sent,
        keyframe_requests_coalesced=forwarder.keyframe_requests_coalesced,
        subscribers=len(forwarder.downtracks),
        muted=forwarder.muted,
    )


def _subscribed(
    subscriber: SubscribePeer | None, slots: Mapping[str, str]
) -> tuple[m.SubscribedStats, ...]:
    if subscriber is None:
        return ()
    found = []
    for slot in subscriber.slot_names():
        downtrack = subscriber.downtrack(slot)
        if downtrack is None:
            continue
        s = downtrack.stats
        found.append(
            m.SubscribedStats(
                slot=slot,
                track_id=slots.get(slot),
                packets_sent=s.packets_sent,
                retransmitted=s.retransmitted,
                nacked=s.nacked,
                fraction_lost=s.fraction_lost,
                remb_bitrate=s.remb_bitrate,
            )
        )
    return tuple(found)
