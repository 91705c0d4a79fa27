"""A room's routing table: which published track feeds which subscriber slot.

The caller decides the rules; the router only applies them. It knows opaque participant ids,
track ids and labels — nothing about people or roles. A *slot* is one outgoing stream of a
subscriber; by default a subscription gets a slot named after the track, but a caller may name a
slot (e.g. "speaker-video") and point it at another track later: that is a source switch, which
the subscriber sees as one continuous stream.

Every mutation returns the `Route` changes to apply; the router itself does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


class RouteError(Exception):
    """A routing command that breaks the room's rules or names unknown things."""


@dataclass(frozen=True)
class TrackInfo:
    track_id: str
    publisher_id: str
    kind: str
    label: str
    mime_type: str


@dataclass(frozen=True)
class Route:
    """Slot `slot` of `subscriber_id` is now fed by `track_id` (None: the slot is gone)."""

    subscriber_id: str
    slot: str
    track_id: str | None


@dataclass
class _Slot:
    kind: str
    mime_type: str
    track_id: str


class Router:
    def __init__(self) -> None:
        self._participants: set[str] = set()
        self._tracks: dict[str, TrackInfo] = {}
        self._allowed: dict[tuple[str, str], bool] = {}  # (publisher, subscriber) → auto
        self._slots: dict[str, dict[str, _Slot]] = {}

    # --- queries ---

    def track(self, track_id: str) -> TrackInfo:
        try:
            return self._tracks[track_id]
        except KeyError:
            raise RouteError(f"unknown track {track_id!r}") from None

    def tracks(self) -> list[TrackInfo]:
        return list(self._tracks.values())

    def has_participant(self, participant_id: str) -> bool:
        return participant_id in self._participants

    def slots(self, subscriber_id: str) -> dict[str, str]:
        """slot → track id for one subscriber."""
        return {name: s.track_id for name, s in self._slots.get(subscriber_id, {}).items()}

    def routes_of_track(self, track_id: str) -> list[Route]:
        return [
            Route(sub, name, track_id)
            for sub, slots in self._slots.items()
            for name, slot in slots.items()
            if slot.track_id == track_id
        ]

    def is_allowed(self, publisher_id: str, subscriber_id: str) -> bool:
        return (publisher_id, subscriber_id) in self._allowed

    # --- participants ---

    def add_participant(self, participant_id: str) -> None:
        if participant_id in self._participants:
            raise RouteError(f"participant {participant_id!r} already joined")
        self._participants.add(participant_id)
        self._slots[participant_id] = {}

    def remove_participant(self, participant_id: str) -> list[Route]:
        """Forget a participant: its subscriptions, its permissions and its tracks."""
        self._require(participant_id)
        self._slots.pop(participant_id, None)
        self._allowed = {
            pair: auto for pair, auto in self._allowed.items() if participant_id not in pair
        }
        changes: list[Route] = []
        for info in [t for t in self._tracks.values() if t.publisher_id == participant_id]:
            changes += self.remove_track(info.track_id)
        self._participants.discard(participant_id)
        return changes

    # --- permissions ---

    def allow(self, publisher_id: str, subscriber_id: str, auto_subscribe: bool) -> list[Route]:
        """Let `subscriber_id` receive `publisher_id`'s tracks; with `auto_subscribe` every
        current and future track of the publisher is routed to it."""
        self._require(publisher_id)
        self._require(subscriber_id)
        if publisher_id == subscriber_id:
            raise RouteError("a participant cannot subscribe to itself")
        self._allowed[(publisher_id, subscriber_id)] = auto_subscribe
        if not auto_subscribe:
            return []
        published = [t for t in self._tracks.values() if t.publisher_id == publisher_id]
        return [self._route_default(subscriber_id, t) for t in published]

    def revoke(self, publisher_id: str, subscriber_id: str) -> list[Route]:
        self._allowed.pop((publisher_id, subscriber_id), None)
        slots = self._slots.get(subscriber_id, {})
        gone = [
            n for n, s in slots.items() if self._tracks[s.track_id].publisher_id == publisher_id
        ]
        return [self._drop(subscriber_id, name) for name in gone]

    # --- tracks ---

    def add_track(self, info: TrackInfo) -> list[Route]:
        self._require(info.publisher_id)
        if info.track_id in self._tracks:
            raise RouteError(f"track {info.track_id!r} already published")
        self._tracks[info.track_id] = info
        return [
            self._route_default(sub, info)
            for (pub, sub), auto in self._allowed.items()
            if pub == info.publisher_id and auto
        ]

    def remove_track(self, track_id: str) -> list[Route]:
        self.track(track_id)
        changes = [self._drop(r.subscriber_id, r.slot) for r in self.routes_of_track(track_id)]
        del self._tracks[track_id]
        return changes

    # --- subscriptions ---

    def subscribe(self, subscriber_id: str, track_id: str, slot: str | None = None) -> Route:
        """Route `track_id` to `subscriber_id`, into `slot` (default: a slot of its own).
        Pointing an existing slot at another track of the same kind and codec switches its
        source."""
        self._require(subscriber_id)
        info = self.track(track_id)
        if not self.is_allowed(info.publisher_id, subscriber_id):
            raise RouteError(f"{subscriber_id!r} may not receive tracks of {info.publisher_id!r}")
        name = slot if slot is not None else track_id
        existing = self._slots[subscriber_id].get(name)
        if existing is not None and (existing.kind, existing.mime_type) != (
            info.kind,
            info.mime_type,
        ):
            raise RouteError(
                f"slot {name!r} carries {existing.mime_type}, cannot switch to {info.mime_type}"
            )
        self._slots[subscriber_id][name] = _Slot(info.kind, info.mime_type, track_id)
        return Route(subscriber_id, name, track_id)

    def unsubscribe(self, subscriber_id: str, slot: str) -> Route:
        self._require(subscriber_id)
        if slot not in self._slots[subscriber_id]:
            raise RouteError(f"{subscriber_id!r} has no slot {slot!r}")
        return self._drop(subscriber_id, slot)

    def _route_default(self, subscriber_id: str, info: TrackInfo) -> Route:
        return self.subscribe(subscriber_id, info.track_id)

    def _drop(self, subscriber_id: str, slot: str) -> Route:
        self._slots[subscriber_id].pop(slot, None)
        return Route(subscriber_id, slot, None)

    def _require(self, participant_id: str) -> None:
        if participant_id not in self._participants:
            raise RouteError(f"unknown participant {participant_id!r}")
