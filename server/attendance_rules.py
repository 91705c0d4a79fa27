"""From presence intervals to an attendance outcome for one student in one session. Pure.

Decisions, written down once:

* **Counting window.** Minutes present are counted inside the scheduled span only
  (``starts_at`` .. ``starts_at + academic hours × 50 min``), cut short at ``ended_at`` when the
  tutor ended the session early. Time in the room before the start (it opens 10 minutes early) or
  after the end earns nothing, so the share of the scheduled time is at most 100 %. Until the
  span is over (and while the session is live) the window ends at "now" and the outcome is
  provisional (no "left early" yet); before the start there is no status at all. Cancelled and
  off-line sessions have no attendance.
* **First join / last leave** are the real times (they may lie outside the window). The last
  leave is empty while the person is connected.
* **Drop-outs** are interruptions longer than the grace period: merged intervals minus one.
* **Status**, first rule that holds: a manual correction (the latest) wins; share below the
  partial threshold → absent; first arrival later than ``late_after_minutes`` after the start →
  late; presence ending more than ``left_early_minutes`` before the end (and not connected) →
  left early; share at least the present threshold → present; otherwise partial.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.db.models import AttendanceStatus
from server.presence import Interval, clip


@dataclass(frozen=True)
class Policy:
    """The faculty's thresholds (table ``attendance_policy``)."""

    late_after_minutes: int = 10
    left_early_minutes: int = 10
    present_percent: int = 80
    partial_percent: int = 30
    absence_threshold_hours: int = 6


@dataclass(frozen=True)
class Window:
    """The stretch of time attendance is counted in; ``final`` once it can no longer change."""

    start: datetime
    end: datetime
    final: bool = True

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())


@dataclass(frozen=True)
class Outcome:
    """What the events say about one student in one session (before corrections)."""

    first_join: datetime | None
    last_leave: datetime | None
    seconds_present: float
    share: float
    drop_outs: int
    connected_since: datetime | None
    status: AttendanceStatus | None

    @property
    def connected(self) -> bool:
        return self.connected_since is not None

    @property
    def minutes_present(self) -> float:
        return round(self.seconds_present / 60, 1)


def window_for(
    starts_at: datetime, minutes: int, ended_at: datetime | None, now: datetime, live: bool
) -> Window:
    """The counting window: the scheduled span (cut at an early end), up to ``now`` until over."""
    end = starts_at + timedelta(minutes=minutes)
    if ended_at is not None and starts_at < ended_at < end:
        end = ended_at
    if now >= end:
        return Window(starts_at, end, final=not live)
    return Window(starts_at, max(starts_at, now), final=False)


def assess(intervals: Sequence[Interval], window: Window, policy: Policy) -> Outcome:
    inside = clip(intervals, window.start, window.end)
    seconds = sum(item.seconds for item in inside)
    share = seconds / window.seconds if window.seconds else 0.0
    connected = bool(intervals) and intervals[-1].open
    return Outcome(
        first_join=intervals[0].start if intervals else None,
        last_leave=None if connected or not intervals else intervals[-1].end,
        seconds_present=seconds,
        share=min(1.0, share),
        drop_outs=max(0, len(intervals) - 1),
        connected_since=intervals[-1].start if connected else None,
        status=_status(inside, share, window, policy, connected) if window.seconds else None,
    )


def _status(
    inside: Sequence[Interval],
    share: float,
    window: Window,
    policy: Policy,
    connected: bool,
) -> AttendanceStatus:
    if not inside or share * 100 < policy.partial_percent:
        return AttendanceStatus.ABSENT
    if inside[0].start > window.start + timedelta(minutes=policy.late_after_minutes):
        return AttendanceStatus.LATE
    left_by = window.end - timedelta(minutes=policy.left_early_minutes)
    if window.final and not connected and inside[-1].end < left_by:
        return AttendanceStatus.LEFT_EARLY
    if share * 100 >= policy.present_percent:
        return AttendanceStatus.PRESENT
    return AttendanceStatus.PARTIAL


def final_status(outcome: Outcome, corrected: AttendanceStatus | None) -> AttendanceStatus | None:
    """The status to show: the latest manual correction, else the derived one."""
    return corrected if corrected is not None else outcome.status
