"""Scheduled sessions, the personal schedule, start/end, and joining (room tokens)."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from server.api import views
from server.auth import Viewer
from server.db.models import ScheduledSession
from server.errors import ValidationFailed
from server.schemas import SessionIn, SessionUpdate
from server.services import Services
from server.web import ok, path_id, query_time, read_json, services, viewer

RANGES = {"today": 1, "week": 7}


async def _views(
    found: Services, who: Viewer, items: list[ScheduledSession]
) -> list[dict[str, object]]:
    tz = views.viewer_zone(who, found.settings.default_timezone)
    labels = await found.schedule.labels([item.id for item in items])
    now = found.schedule.now()
    shown = [views.session(item, tz, now, labels.get(item.id)) for item in items]
    for item, view in zip(items, shown, strict=True):
        room = found.rooms.get(item.id)
        view["recording_now"] = bool(room is not None and room.rules.recording)
        view["records_automatically"] = found.recordings.records_automatically(item)
    return shown


async def _view(found: Services, who: Viewer, item: ScheduledSession) -> dict[str, object]:
    return (await _views(found, who, [item]))[0]


async def schedule(request: Request) -> Response:
    """Sessions from today's local midnight for one day (``today``) or seven (``week``)."""
    who = await viewer(request)
    found = services(request)
    span = request.query_params.get("range", "week")
    if span not in RANGES:
        raise ValidationFailed("range must be today or week")
    tz = views.viewer_zone(who, found.settings.default_timezone)
    local_now = found.schedule.now().astimezone(tz)
    start = datetime(local_now.year, local_now.month, local_now.day, tzinfo=tz)
    end = start + timedelta(days=RANGES[span])
    items = await found.schedule.between(who, start, end)
    return ok(
        {
            "range": span,
            "timezone": tz.key,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "sessions": await _views(found, who, items),
        }
    )


async def list_sessions(request: Request) -> Response:
    """Every visible session between ``from`` and ``to`` (ISO times with zone)."""
    who = await viewer(request)
    found = services(request)
    start = query_time(request, "from") or datetime(1970, 1, 1).astimezone()
    end = query_time(request, "to") or datetime(9999, 1, 1).astimezone()
    items = await found.schedule.between(who, start, end)
    return ok({"sessions": await _views(found, who, items)})


async def get_session(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    return ok(await _view(found, who, await found.schedule.get(who, path_id(request))))


async def create_session(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, SessionIn)
    found = services(request)
    return ok(await _view(found, who, await found.schedule.create(who, body)), 201)


async def update_session(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, SessionUpdate)
    found = services(request)
    return ok(await _view(found, who, await found.schedule.update(who, path_id(request), body)))


async def start_session(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    return ok(await _view(found, who, await found.schedule.start(who, path_id(request))))


async def end_session(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    ended = await found.schedule.end(who, path_id(request))
    await found.rooms.end(ended.id)
    return ok(await _view(found, who, ended))


async def join_session(request: Request) -> Response:
    """A short-lived room token for this person and session, with the grants they hold."""
    who = await viewer(request)
    found = services(request)
    join = await found.schedule.join(who, path_id(request))
    token, expires = found.room_tokens.issue_for(
        who.person_id, join.session.id, who.role, who.full_name, join.grants
    )
    return ok(
        {
            "token": token,
            "expires_at": expires,
            "grants": sorted(grant.value for grant in join.grants),
            "session_id": join.session.id,
            "signal_url": f"/rooms/{join.session.id}/signal",
        }
    )
