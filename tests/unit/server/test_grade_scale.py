"""The 100-point scale and the credit-system letters: every score has exactly one letter,
letters never go down as points go up, band edges are exact, x.5 rounds up."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.grades_scale import (
    BANDS,
    MAX_TENTHS,
    PointsError,
    band_for,
    from_tenths,
    mean_tenths,
    to_tenths,
    weighted_tenths,
)

tenths = st.integers(min_value=0, max_value=MAX_TENTHS)
RANK = {band.letter: index for index, band in enumerate(reversed(BANDS))}


@given(tenths)
def test_every_score_falls_in_exactly_one_band(value: int) -> None:
    whole = (value + 5) // 10
    assert sum(band.low <= whole <= band.high for band in BANDS) == 1
    assert band_for(value).low <= whole <= band_for(value).high


@given(tenths, tenths)
def test_more_points_never_give_a_lower_letter_or_fewer_grade_points(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert RANK[band_for(low).letter] <= RANK[band_for(high).letter]
    assert band_for(low).grade_points <= band_for(high).grade_points


def test_the_bands_cover_0_to_100_without_gaps_in_order() -> None:
    edges = sorted((band.low, band.high) for band in BANDS)
    assert edges[0][0] == 0 and edges[-1][1] == 100
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in itertools.pairwise(edges))


@pytest.mark.parametrize(
    ("points", "letter", "grade_points"),
    [
        (100, "A", 4.0),
        (95, "A", 4.0),
        (94, "A-", 3.67),
        (90, "A-", 3.67),
        (89, "B+", 3.33),
        (85, "B+", 3.33),
        (84, "B", 3.0),
        (80, "B", 3.0),
        (79, "B-", 2.67),
        (75, "B-", 2.67),
        (74, "C+", 2.33),
        (70, "C+", 2.33),
        (69, "C", 2.0),
        (65, "C", 2.0),
        (64, "C-", 1.67),
        (60, "C-", 1.67),
        (59, "D+", 1.33),
        (55, "D+", 1.33),
        (54, "D", 1.0),
        (50, "D", 1.0),
        (49, "FX", 0.5),
        (25, "FX", 0.5),
        (24, "F", 0.0),
        (0, "F", 0.0),
    ],
)
def test_band_edges_are_exact(points: int, letter: str, grade_points: float) -> None:
    band = band_for(to_tenths(points))
    assert (band.letter, band.grade_points) == (letter, grade_points)


@pytest.mark.parametrize(
    ("points", "letter"),
    [(94.5, "A"), (94.4, "A-"), (89.5, "A-"), (49.5, "D"), (49.4, "FX"), (24.5, "FX"), (0.4, "F")],
)
def test_fractional_points_round_half_up_to_whole_points(points: float, letter: str) -> None:
    assert band_for(to_tenths(points)).letter == letter


@given(st.integers(min_value=0, max_value=99))
def test_x_point_5_always_takes_the_next_whole_point(whole: int) -> None:
    assert band_for(whole * 10 + 5) == band_for((whole + 1) * 10)
    assert band_for(whole * 10 + 4) == band_for(whole * 10)


@given(tenths)
def test_tenths_round_trip_through_the_shown_number(value: int) -> None:
    assert to_tenths(from_tenths(value)) == value


@pytest.mark.parametrize(
    "bad", [-0.1, 100.1, 101, -1, "95", None, True, math.nan, math.inf, 94.55, [95]]
)
def test_anything_but_0_to_100_with_one_decimal_is_refused(bad: object) -> None:
    with pytest.raises(PointsError):
        to_tenths(bad)


@given(st.lists(tenths, min_size=1, max_size=6))
def test_the_mean_is_within_half_a_tenth_and_rounds_half_up(values: list[int]) -> None:
    exact = sum(values) / len(values)
    assert exact - 0.5 < mean_tenths(values) <= exact + 0.5


@given(tenths, tenths, st.integers(min_value=0, max_value=100))
def test_the_weighted_mark_lies_between_its_parts(adm: int, exam: int, percent: int) -> None:
    mark = weighted_tenths(adm, exam, percent)
    assert min(adm, exam) <= mark <= max(adm, exam)


def test_the_common_weighting_60_40() -> None:
    assert weighted_tenths(800, 900, 60) == 840
    assert weighted_tenths(945, 945, 60) == 945
    assert weighted_tenths(801, 900, 60) == 841  # 840.6 → 841 tenths, half up
