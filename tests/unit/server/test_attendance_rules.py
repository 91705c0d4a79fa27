"""Statuses by policy, the counting window and what counts as minutes present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.attendance_rules import Policy, Window, assess, final_status, window_for
from server.db.models import AttendanceStatus
from server.errors import ConfigError
from server.presence import Interval
from server.settings import load_settings

START = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
END = START + timedelta(minutes=100)
WINDOW = Window(START, END)


def minute(n: float) -> datetime:
    return START + timedelta(minutes=n)


def spans(*pairs: tuple[float, float]) -> list[Interval]:
    return [Interval(minute(a), minute(b)) for a, b in pairs]


@pytest.mark.parametrize(
    ("present", "status"),
    [
        (spans((-5, 105)), AttendanceStatus.PRESENT),
        (spans((9, 100)), AttendanceStatus.PRESENT),
        (spans((15, 100)), AttendanceStatus.LATE),
        (spans((0, 85)), AttendanceStatus.LEFT_EARLY),
        (spans((0, 40), (70, 100)), AttendanceStatus.PARTIAL),
        (spans((0, 20)), AttendanceStatus.ABSENT),
        ([], AttendanceStatus.ABSENT),
        (spans((50, 100)), AttendanceStatus.LATE),
    ],
)
def test_status_by_the_default_policy(present: list[Interval], status: AttendanceStatus) -> None:
    assert assess(present, WINDOW, Policy()).status == status


def test_minutes_are_clipped_to_the_scheduled_span_and_share_is_at_most_one() -> None:
    outcome = assess(spans((-10, 110)), WINDOW, Policy())
    assert outcome.minutes_present == 100
    assert outcome.share == 1.0
    assert outcome.first_join == minute(-10)
    assert outcome.last_leave == minute(110)


def test_drop_outs_count_the_interruptions() -> None:
    outcome = assess(spans((0, 30), (40, 60), (70, 100)), WINDOW, Policy())
    assert outcome.drop_outs == 2
    assert outcome.minutes_present == 80


def test_a_stricter_policy_changes_the_status() -> None:
    strict = Policy(late_after_minutes=5, present_percent=95, partial_percent=50)
    assert assess(spans((7, 100)), WINDOW, strict).status == AttendanceStatus.LATE
    assert assess(spans((0, 40), (50, 100)), WINDOW, strict).status == AttendanceStatus.PARTIAL
    assert assess(spans((0, 45)), WINDOW, strict).status == AttendanceStatus.ABSENT


def test_the_window_ends_early_when_the_tutor_ends_early_and_runs_to_now_while_live() -> None:
    ended = window_for(START, 100, minute(60), minute(200), live=False)
    assert (ended.end, ended.final) == (minute(60), True)
    assert assess(spans((0, 60)), ended, Policy()).status == AttendanceStatus.PRESENT
    live = window_for(START, 100, None, minute(30), live=True)
    assert (live.end, live.final) == (minute(30), False)
    connected = [Interval(minute(0), minute(30), open=True)]
    outcome = assess(connected, live, Policy())
    assert outcome.status == AttendanceStatus.PRESENT
    assert outcome.connected_since == minute(0) and outcome.last_leave is None


def test_a_provisional_window_never_says_left_early() -> None:
    live = window_for(START, 100, None, minute(50), live=True)
    assert assess(spans((0, 10)), live, Policy()).status == AttendanceStatus.ABSENT
    assert assess(spans((0, 45)), live, Policy()).status == AttendanceStatus.PRESENT


def test_no_status_before_the_start() -> None:
    future = window_for(START, 100, None, minute(-30), live=False)
    assert assess([], future, Policy()).status is None


def test_a_correction_wins_over_the_derived_status() -> None:
    outcome = assess([], WINDOW, Policy())
    assert final_status(outcome, AttendanceStatus.EXCUSED) == AttendanceStatus.EXCUSED
    assert final_status(outcome, None) == AttendanceStatus.ABSENT


def test_the_grace_setting_defaults_to_a_minute_and_is_bounded(tmp_path: Path) -> None:
    assert load_settings({"DATA_DIR": str(tmp_path)}).attendance_grace_seconds == 60
    chosen = load_settings({"DATA_DIR": str(tmp_path), "ATTENDANCE_GRACE_SECONDS": "0"})
    assert chosen.attendance_grace_seconds == 0
    with pytest.raises(ConfigError, match="ATTENDANCE_GRACE_SECONDS must be between 0 and 3600"):
        load_settings({"DATA_DIR": str(tmp_path), "ATTENDANCE_GRACE_SECONDS": "3601"})
