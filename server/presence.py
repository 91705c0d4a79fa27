"""Presence intervals derived from join, leave and heartbeat events. Pure functions, no I/O.

Rules (issue 5):

* ``join`` opens an interval; ``leave`` closes it; ``heartbeat`` proves the person is still there
  and extends the open interval to its time.
* A ``join`` while an interval is open means the server lost the connection without a ``leave``
  (a crash and restart, or a resume): the open interval is closed at its last sign of life and a
  new one opens at the join. A ``heartbeat`` with no open interval opens one at its time.
* An interval with no later ``leave`` is closed at its last heartbeat or join — never left open
  and never stretched to a later restart. The only exception is the live roster: when the caller
  says the person is connected right now (``open_until``), the last interval runs to that time
  and is marked ``open``.
* Only the first and the last heartbeat of a run of heartbeats matter (``thin``).
* Intervals separated by at most ``grace`` (a reconnect) are merged into one; merging is
  idempotent because after one pass every remaining gap is longer than ``grace``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

JOIN = "join"
LEAVE = "leave"
HEARTBEAT = "heartbeat"
KINDS = frozenset({JOIN, LEAVE, HEARTBEAT})

Event = tuple[datetime, str]
"""(time, kind); events of one person in one session, in recorded order."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch of continuous presence; ``open`` while the person is connected right now."""

    start: datetime
    end: datetime
    open: bool = False

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def raw_intervals(events: Iterable[Event], open_until: datetime | None = None) -> list[Interval]:
    """Intervals before grace merging. Events are sorted by time (stable for equal times)."""
    found: list[Interval] = []
    start: datetime | None = None
    seen: datetime | None = None
    for at, kind in sorted(events, key=_time):
        if kind not in KINDS:
            raise ValueError(f"unknown presence event kind {kind!r}")
        if start is None or seen is None:
            if kind != LEAVE:
                start = seen = at
            continue
        if kind == LEAVE:
            found.append(Interval(start, at))
            start = seen = None
        elif kind == JOIN:
            found.append(Interval(start, seen))
            start = seen = at
        else:
            seen = at
    if start is not None and seen is not None:
        found.append(_last(start, seen, open_until))
    return found


def _time(event: Event) -> datetime:
    return event[0]


def _last(start: datetime, seen: datetime, open_until: datetime | None) -> Interval:
    if open_until is None:
        return Interval(start, seen)
    return Interval(start, max(seen, open_until), open=True)


def merge(intervals: Sequence[Interval], grace: timedelta) -> list[Interval]:
    """Joins neighbours whose gap is at most ``grace``; input ordered and not overlapping."""
    merged: list[Interval] = []
    for item in intervals:
        if merged and item.start - merged[-1].end <= grace:
            previous = merged[-1]
            merged[-1] = Interval(previous.start, max(previous.end, item.end), item.open)
        else:
            merged.append(item)
    return merged


def derive(
    events: Iterable[Event], grace: timedelta, open_until: datetime | None = None
) -> list[Interval]:
    """The presence intervals of one person in one session."""
    return merge(raw_intervals(events, open_until), grace)


def thin(events: Sequence[Event]) -> list[Event]:
    """Drops heartbeats between two heartbeats: they cannot change the derived intervals (only
    the first and last heartbeat of a run matter). Events in time order. The reports' SQL does
    the same with window functions, so they read a few rows per person instead of all."""
    kept = []
    for index, (at, kind) in enumerate(events):
        inner = 0 < index < len(events) - 1
        if inner and kind == HEARTBEAT == events[index - 1][1] == events[index + 1][1]:
            continue
        kept.append((at, kind))
    return kept


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of ``intervals`` inside [start, end]."""
    inside = []
    for item in intervals:
        low, high = max(item.start, start), min(item.end, end)
        if low < high:
            inside.append(replace(item, start=low, end=high))
    return inside


def seconds_within(intervals: Iterable[Interval], start: datetime, end: datetime) -> float:
    return sum(item.seconds for item in clip(intervals, start, end))
