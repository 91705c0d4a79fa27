"""The 100-point scale and Kazakhstan's credit-system letter scale (order No. 152).

Points carry at most one decimal and are kept as whole *tenths* (0..1000) so that sums, means
and weightings are exact integer arithmetic on SQLite and PostgreSQL alike. The letter bands are
whole numbers (A 95–100, A- 90–94, …), so a fractional score is first rounded **half up** to a
whole number: 94.5 → 95 → A, 94.4 → 94 → A-. Means and weighted marks are rounded half up to
one decimal before that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_TENTHS = 1000


@dataclass(frozen=True)
class Band:
    """One letter of the scale: the whole points it covers and its grade points (GPA)."""

    letter: str
    low: int
    high: int
    grade_points: float


BANDS: tuple[Band, ...] = (
    Band("A", 95, 100, 4.0),
    Band("A-", 90, 94, 3.67),
    Band("B+", 85, 89, 3.33),
    Band("B", 80, 84, 3.0),
    Band("B-", 75, 79, 2.67),
    Band("C+", 70, 74, 2.33),
    Band("C", 65, 69, 2.0),
    Band("C-", 60, 64, 1.67),
    Band("D+", 55, 59, 1.33),
    Band("D", 50, 54, 1.0),
    Band("FX", 25, 49, 0.5),
    Band("F", 0, 24, 0.0),
)
LETTERS = tuple(band.letter for band in BANDS)


class PointsError(ValueError):
    """A value that is not a number of points on the 100-point scale."""


def to_tenths(points: object) -> int:
    """``points`` (an int or float, 0..100, at most one decimal) as whole tenths."""
    if isinstance(points, bool) or not isinstance(points, int | float):
        raise PointsError("points must be a number")
    if not math.isfinite(points) or not 0 <= points <= 100:
        raise PointsError("points must be between 0 and 100")
    tenths = round(points * 10)
    # Binary floats: 94.5 * 10 is exact, 0.1 * 3 * 10 is not quite 3; allow that noise only.
    if abs(points * 10 - tenths) > 1e-6:
        raise PointsError("points may have at most one decimal, e.g. 94.5")
    return tenths


def from_tenths(tenths: int) -> int | float:
    """Tenths as the number shown: 95 for 950, 94.5 for 945."""
    whole, rest = divmod(tenths, 10)
    return whole if rest == 0 else tenths / 10


def whole_points(tenths: int) -> int:
    """Rounded half up to whole points, as the letter bands need."""
    return (tenths + 5) // 10


def band_for(tenths: int) -> Band:
    """The band of a score given in tenths (0..1000)."""
    if not 0 <= tenths <= MAX_TENTHS:
        raise PointsError(f"{tenths} tenths is outside 0..100 points")
    whole = whole_points(tenths)
    return next(band for band in BANDS if band.low <= whole <= band.high)


def mean_tenths(values: list[int]) -> int:
    """The mean, rounded half up to a tenth."""
    if not values:
        raise ValueError("the mean of nothing")
    return (2 * sum(values) + len(values)) // (2 * len(values))


def weighted_tenths(admission: int, exam: int, admission_percent: int) -> int:
    """``admission_percent`` % of the admission rating plus the rest of the exam, half up."""
    total = admission * admission_percent + exam * (100 - admission_percent)
    return (total + 50) // 100
