"""JSON shapes of the objects the API returns."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from server.auth import Viewer
from server.clock import iso_local, iso_utc, zone
from server.db.models import Branch, Course, Person, ScheduledSession, StudyGroup
from server.schedule import SessionLabels, ends_at, join_opens_at, joinable


def viewer_zone(viewer: Viewer, default: str) -> zoneinfo.ZoneInfo:
    return zone(viewer.timezone, default)


def branch(item: Branch) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "city": item.city,
        "is_head_office": item.is_head_office,
    }


def person(item: Person) -> dict[str, Any]:
    return {
        "id": item.id,
        "login": item.login,
        "full_name": item.full_name,
        "email": item.email,
        "role": item.role,
        "branch_id": item.branch_id,
        "timezone": item.timezone,
        "locale": item.locale,
        "active": item.active,
    }


def group(item: StudyGroup) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "speciality": item.speciality,
        "year": item.year,
        "term": item.term,
        "branch_id": item.branch_id,
    }


def course(item: Course) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "discipline": item.discipline,
        "credits": item.credits,
        "branch_id": item.branch_id,
    }


def session(
    item: ScheduledSession,
    tz: zoneinfo.ZoneInfo,
    now: datetime,
    labels: SessionLabels | None = None,
) -> dict[str, Any]:
    end = ends_at(item)
    return {
        "course_code": labels.course_code if labels else None,
        "discipline": labels.discipline if labels else None,
        "group_name": labels.group_name if labels else None,
        "tutor_name": labels.tutor_name if labels else None,
        "id": item.id,
        "title": item.title,
        "course_id": item.course_id,
        "group_id": item.group_id,
        "tutor_id": item.tutor_id,
        "branch_id": item.branch_id,
        "kind": item.kind,
        "mode": item.mode,
        "status": item.status,
        "academic_hours": item.academic_hours,
        "minutes": item.minutes,
        "starts_at": iso_utc(item.starts_at),
        "ends_at": iso_utc(end),
        "local": {
            "timezone": tz.key,
            "starts_at": iso_local(item.starts_at, tz),
            "ends_at": iso_local(end, tz),
        },
        "join_opens_at": iso_utc(join_opens_at(item)),
        "can_join": joinable(item, now),
        "join_url": f"/api/sessions/{item.id}/join",
        "room_url": f"/#/room/{item.id}",
        "started_at": iso_utc(item.started_at),
        "ended_at": iso_utc(item.ended_at),
    }
