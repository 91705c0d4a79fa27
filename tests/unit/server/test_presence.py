"""Presence intervals from join/leave/heartbeat events: properties (hypothesis) and examples."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.presence import (
    HEARTBEAT,
    JOIN,
    LEAVE,
    Event,
    Interval,
    clip,
    derive,
    merge,
    raw_intervals,
    seconds_within,
    thin,
)

T0 = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
GRACE = timedelta(seconds=60)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def events(*pairs: tuple[float, str]) -> list[Event]:
    return [(at(seconds), kind) for seconds, kind in pairs]


event_lists = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20_000).map(at),
        st.sampled_from([JOIN, LEAVE, HEARTBEAT]),
    ),
    max_size=60,
)
graces = st.integers(min_value=0, max_value=900).map(lambda s: timedelta(seconds=s))


def assert_ordered_and_apart(found: list[Interval], gap: timedelta | None = None) -> None:
    for item in found:
        assert item.start <= item.end
    for before, after in itertools.pairwise(found):
        assert before.end <= after.start
        if gap is not None:
            assert after.start - before.end > gap


@given(event_lists, graces)
def test_intervals_never_overlap_and_gaps_exceed_the_grace(
    given_events: list[Event], grace: timedelta
) -> None:
    assert_ordered_and_apart(raw_intervals(given_events))
    assert_ordered_and_apart(derive(given_events, grace), gap=grace)


@given(event_lists, graces)
def test_intervals_never_exceed_the_span_of_the_events(
    given_events: list[Event], grace: timedelta
) -> None:
    found = derive(given_events, grace)
    if not found:
        return
    times = [time for time, _ in given_events]
    assert min(times) <= found[0].start
    assert found[-1].end <= max(times)
    assert not any(item.open for item in found)


@given(event_lists, graces)
def test_grace_merging_is_idempotent(given_events: list[Event], grace: timedelta) -> None:
    once = derive(given_events, grace)
    assert merge(once, grace) == once
    assert merge(merge(raw_intervals(given_events), grace), grace) == once


@given(event_lists, graces, graces)
def test_a_longer_grace_never_splits_more_and_never_loses_presence(
    given_events: list[Event], grace: timedelta, extra: timedelta
) -> None:
    short = derive(given_events, grace)
    long = derive(given_events, grace + extra)
    assert len(long) <= len(short)
    assert sum(i.seconds for i in long) >= sum(i.seconds for i in short)


@given(event_lists, graces, st.integers(min_value=0, max_value=30_000).map(at))
def test_only_the_last_interval_runs_on_to_now_while_connected(
    given_events: list[Event], grace: timedelta, now: datetime
) -> None:
    found = derive(given_events, grace, open_until=now)
    assert_ordered_and_apart(found, gap=grace)
    assert all(not item.open for item in found[:-1])
    if found and found[-1].open:
        assert found[-1].end == max(now, max(time for time, _ in given_events))


@given(event_lists, graces)
def test_clipping_stays_inside_the_window(given_events: list[Event], grace: timedelta) -> None:
    start, end = at(1000), at(5000)
    inside = clip(derive(given_events, grace), start, end)
    assert all(start <= item.start < item.end <= end for item in inside)
    assert 0 <= seconds_within(inside, start, end) <= 4000


def test_after_a_crash_the_interval_closes_at_the_last_heartbeat() -> None:
    crashed = events((0, JOIN), (30, HEARTBEAT), (60, HEARTBEAT), (90, HEARTBEAT))
    assert derive(crashed, GRACE) == [Interval(at(0), at(90))]


def test_a_rejoin_after_a_restart_is_not_stretched_over_the_outage() -> None:
    restarted = events((0, JOIN), (30, HEARTBEAT), (3600, JOIN), (3630, HEARTBEAT), (3700, LEAVE))
    assert derive(restarted, GRACE) == [
        Interval(at(0), at(30)),
        Interval(at(3600), at(3700)),
    ]


def test_a_reconnect_within_the_grace_does_not_split_the_interval() -> None:
    flaky = events((0, JOIN), (100, LEAVE), (150, JOIN), (300, LEAVE))
    assert derive(flaky, GRACE) == [Interval(at(0), at(300))]
    assert derive(flaky, timedelta(seconds=49)) == [
        Interval(at(0), at(100)),
        Interval(at(150), at(300)),
    ]


def test_a_connected_person_runs_to_now_only_when_asked() -> None:
    live = events((0, JOIN), (30, HEARTBEAT))
    assert derive(live, GRACE, open_until=at(45)) == [Interval(at(0), at(45), open=True)]
    assert derive(live, GRACE) == [Interval(at(0), at(30))]


def test_stray_leaves_are_ignored_and_heartbeats_alone_prove_presence() -> None:
    assert derive(events((10, LEAVE)), GRACE) == []
    assert derive(events((0, HEARTBEAT), (30, HEARTBEAT)), GRACE) == [Interval(at(0), at(30))]


def test_events_out_of_order_are_sorted_by_time() -> None:
    shuffled = events((300, LEAVE), (0, JOIN), (100, HEARTBEAT))
    assert derive(shuffled, GRACE) == [Interval(at(0), at(300))]


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown presence event kind"):
        raw_intervals(events((0, "wave")))


@given(event_lists, graces, st.integers(min_value=0, max_value=30_000).map(at))
def test_thinning_runs_of_heartbeats_changes_nothing(
    given_events: list[Event], grace: timedelta, now: datetime
) -> None:
    ordered = sorted(given_events, key=lambda event: event[0])
    thinned = thin(ordered)
    assert derive(thinned, grace) == derive(ordered, grace)
    assert derive(thinned, grace, open_until=now) == derive(ordered, grace, open_until=now)
    assert thin(thinned) == thinned


def test_thinning_keeps_the_first_and_last_heartbeat_of_a_run() -> None:
    run = events((0, JOIN), (30, HEARTBEAT), (60, HEARTBEAT), (90, HEARTBEAT), (120, LEAVE))
    assert thin(run) == events((0, JOIN), (30, HEARTBEAT), (90, HEARTBEAT), (120, LEAVE))
