"""Request bodies of the attendance API: the policy and a manual correction."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from server.db.models import AttendanceStatus
from server.schemas import Strict

Minutes = Annotated[int, Field(ge=0, le=240)]
Percent = Annotated[int, Field(ge=0, le=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class PolicyIn(Strict):
    """Thresholds in minutes and percent; the partial threshold may not exceed the present one."""

    late_after_minutes: Minutes
    left_early_minutes: Minutes
    present_percent: Annotated[int, Field(ge=1, le=100)]
    partial_percent: Percent
    absence_threshold_hours: Annotated[int, Field(ge=1, le=1000)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.partial_percent > self.present_percent:
            raise ValueError("partial_percent must not exceed present_percent")
        return self


class CorrectionIn(Strict):
    """A manual status with its reason; ``status: null`` returns to the derived status."""

    status: AttendanceStatus | None
    reason: Reason
