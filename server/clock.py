"""Time display: UTC stored, shown in the person's zone (Kazakhstan time, UTC+5, by default)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime


def zone(name: str | None, default: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name or default)


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_local(value: datetime | None, tz: zoneinfo.ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat()
