"""A room's routing table: which published track feeds which subscriber slot.

The caller decides the rules; the router only applies them. It knows opaque participant ids,
track ids and labels — nothing about people or roles. A *slot* is one outgoing stream of a
subscriber; by default a subscription gets a slot named after the track, but a caller may name a
slot (e.g. "speaker-video") and point it at another track later: that is a source switch, which
the subscriber sees as one continuous stream.

A subscriber receives at most `max_slots` tracks (default `MAX_SUBSCRIBED_TRACKS`). Tracks that
auto-subscription would route beyond that are *held back* (`held_back`), oldest first, and routed
as soon as a slot of that subscriber frees; an explicit `subscribe` beyond it is refused.

Every mutation returns the `Route` changes to apply; the router itself does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Why 64: a subscription connection carries one m-line per stream; a browser's answer spends about
# 700 bytes per m-line, so 64 streams stay within the 64 KiB signalling message limit, and a proctor
# watching 20 exam students (camera, screen, microphone) still fits.
MAX_SUBSCRIBED_TRACKS = 64


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


@dataclass(frozen=True)
class _Allowance:
    """`auto`: route the publisher's tracks without a `subscribe`; `labels`: only tracks with
    one of these labels may reach the subscriber (None: every track)."""

    auto: bool
    labels: frozenset[str] | None = None

    def admits(self, info: TrackInfo) -> bool:
        return self.labels is None or info.label in self.labels


@dataclass
class _Slot:
    kind: str
    mime_type: str
    track_id: str


class Router:
    """The routing table of one room (see the module docstring)."""

    def __init__(self, max_slots: int = MAX_SUBSCRIBED_TRACKS) -> None:
        self._participants: set[str] = set()
        self._tracks: dict[str, TrackInfo] = {}
        self._allowed: dict[tuple[str, str], _Allowance] = {}  # (publisher, subscriber)
        self._slots: dict[str, dict[str, _Slot]] = {}
        self._held: dict[str, list[str]] = {}  # subscriber → track ids over the cap, oldest first
        self.max_slots = max_slots

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

    def held_back(self, subscriber_id: str) -> list[str]:
        """Tracks auto-subscription would route to `subscriber_id` but for the slot cap."""
        return list(self._held.get(subscriber_id, []))

    # --- participants ---

    def add_participant(self, participant_id: str) -> None:
        if participant_id in self._participants:
            raise RouteError(f"participant {participant_id!r} already joined")
        self._participants.add(participant_id)
        self._slots[participant_id] = {}
        self._held[participant_id] = []

    def remove_participant(self, participant_id: str) -> list[Route]:
        """Forget a participant: its subscriptions, its permissions and its tracks."""
        self._require(participant_id)
        self._slots.pop(participant_id, None)
        self._held.pop(participant_id, None)
        self._allowed = {
            pair: allowance
            for pair, allowance in self._allowed.items()
            if participant_id not in pair
        }
        changes: list[Route] = []
        for info in [t for t in self._tracks.values() if t.publisher_id == participant_id]:
            changes += self.remove_track(info.track_id)
        self._participants.discard(participant_id)
        return changes

    # --- permissions ---

    def allow(
        self,
        publisher_id: str,
        subscriber_id: str,
        auto_subscribe: bool,
        labels: frozenset[str] | None = None,
    ) -> list[Route]:
        """Let `subscriber_id` receive `publisher_id`'s tracks (only those labelled one of
        `labels`, if given); with `auto_subscribe` every such current and future track of the
        publisher is routed to it. Allowing again replaces the earlier allowance."""
        self._require(publisher_id)
        self._require(subscriber_id)
        if publisher_id == subscriber_id:
            raise RouteError("a participant cannot subscribe to itself")
        allowance = _Allowance(auto_subscribe, labels)
        self._allowed[(publisher_id, subscriber_id)] = allowance
        changes = self._drop_where(
            subscriber_id,
            lambda info: info.publisher_id == publisher_id and not allowance.admits(info),
        )
        if auto_subscribe:
            published = [
                t
                for t in self._tracks.values()
                if t.publisher_id == publisher_id and allowance.admits(t)
            ]
            changes += self._auto_routes(subscriber_id, published)
        return changes

    def revoke(self, publisher_id: str, subscriber_id: str) -> list[Route]:
        self._allowed.pop((publisher_id, subscriber_id), None)
        return self._drop_where(subscriber_id, lambda info: info.publisher_id == publisher_id)

    # --- tracks ---

    def add_track(self, info: TrackInfo) -> list[Route]:
        self._require(info.publisher_id)
        if info.track_id in self._tracks:
            raise RouteError(f"track {info.track_id!r} already published")
        self._tracks[info.track_id] = info
        changes: list[Route] = []
        for (pub, sub), allowance in list(self._allowed.items()):
            if pub == info.publisher_id and allowance.auto and allowance.admits(info):
                changes += self._auto_routes(sub, [info])
        return changes

    def remove_track(self, track_id: str) -> list[Route]:
        self.track(track_id)
        for held in self._held.values():
            if track_id in held:
                held.remove(track_id)
        routes = self.routes_of_track(track_id)
        for route in routes:
            self._slots[route.subscriber_id].pop(route.slot, None)
        del self._tracks[track_id]
        changes = [Route(r.subscriber_id, r.slot, None) for r in routes]
        for subscriber_id in dict.fromkeys(r.subscriber_id for r in routes):
            changes += self._refill(subscriber_id)
        return changes

    # --- subscriptions ---

    def subscribe(self, subscriber_id: str, track_id: str, slot: str | None = None) -> Route:
        """Route `track_id` to `subscriber_id`, into `slot` (default: a slot of its own).
        Pointing an existing slot at another track of the same kind and codec switches its
        source."""
        self._require(subscriber_id)
        info = self.track(track_id)
        allowance = self._allowed.get((info.publisher_id, subscriber_id))
        if allowance is None:
            raise RouteError(f"{subscriber_id!r} may not receive tracks of {info.publisher_id!r}")
        if not allowance.admits(info):
            raise RouteError(
                f"{subscriber_id!r} may not receive the {info.label} of {info.publisher_id!r}"
            )
        name = slot if slot is not None else track_id
        existing = self._slots[subscriber_id].get(name)
        if existing is None and len(self._slots[subscriber_id]) >= self.max_slots:
            raise RouteError(f"{subscriber_id!r} receives at most {self.max_slots} tracks")
        if existing is not None and (existing.kind, existing.mime_type) != (
            info.kind,
            info.mime_type,
        ):
            raise RouteError(
                f"slot {name!r} carries {existing.mime_type}, cannot switch to {info.mime_type}"
            )
        self._slots[subscriber_id][name] = _Slot(info.kind, info.mime_type, track_id)
        return Route(subscriber_id, name, track_id)

    def unsubscribe(self, subscriber_id: str, slot: str) -> list[Route]:
        """Drop a slot; a track held back for the cap may take its place."""
        self._require(subscriber_id)
        if slot not in self._slots[subscriber_id]:
            raise RouteError(f"{subscriber_id!r} has no slot {slot!r}")
        self._slots[subscriber_id].pop(slot)
        return [Route(subscriber_id, slot, None), *self._refill(subscriber_id)]

    def _auto_routes(self, subscriber_id: str, infos: list[TrackInfo]) -> list[Route]:
        """Route each track to a slot of its own; past the cap, hold it back."""
        routes = []
        held = self._held[subscriber_id]
        for info in infos:
            if any(s.track_id == info.track_id for s in self._slots[subscriber_id].values()):
                continue
            if len(self._slots[subscriber_id]) >= self.max_slots:
                if info.track_id not in held:
                    held.append(info.track_id)
                continue
            routes.append(self.subscribe(subscriber_id, info.track_id))
        return routes

    def _refill(self, subscriber_id: str) -> list[Route]:
        """Slots freed: route the tracks held back for this subscriber, oldest first."""
        held = self._held.get(subscriber_id, [])
        routes = []
        while held and len(self._slots[subscriber_id]) < self.max_slots:
            routes.append(self.subscribe(subscriber_id, held.pop(0)))
        return routes

    def _drop_where(self, subscriber_id: str, gone: Callable[[TrackInfo], bool]) -> list[Route]:
        """Drop the subscriber's slots (and held-back tracks) whose track matches `gone`."""
        held = self._held.get(subscriber_id, [])
        held[:] = [t for t in held if not gone(self._tracks[t])]
        slots = self._slots.get(subscriber_id, {})
        names = [n for n, s in slots.items() if gone(self._tracks[s.track_id])]
        for name in names:
            slots.pop(name)
        changes = [Route(subscriber_id, name, None) for name in names]
        return changes + (self._refill(subscriber_id) if names else [])

    def _require(self, participant_id: str) -> None:
        if participant_id not in self._participants:
            raise RouteError(f"unknown participant {participant_id!r}")
