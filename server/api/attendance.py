"""Attendance: the policy, manual corrections, reports and the live roster.

Reports answer JSON by default, or a file with ``?format=csv`` or ``?format=xlsx``; times in the
viewer's zone. Ranges: ``from`` and ``to`` (ISO 8601 with a zone) bound the sessions' start.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.api import attendance_views as shapes
from server.api import views
from server.attendance_schemas import CorrectionIn, PolicyIn
from server.attendance_tables import absence_tables, session_tables, student_tables, term_tables
from server.auth import Viewer
from server.errors import ValidationFailed
from server.export import CSV_TYPE, XLSX_TYPE, Table, to_csv, to_xlsx
from server.web import ok, path_id, query_int, query_time, read_json, services, viewer

FORMATS = ("json", "csv", "xlsx")
Tables = Callable[[zoneinfo.ZoneInfo], list[Table]]


def attendance_routes() -> list[BaseRoute]:
    session = "/api/sessions/{id:int}/attendance"
    corrections = session + "/{student_id:int}/corrections"
    return [
        Route("/api/attendance/policy", get_policy, methods=["GET"]),
        Route("/api/attendance/policy", put_policy, methods=["PUT"]),
        Route("/api/attendance/absences", absences, methods=["GET"]),
        Route(session, session_attendance, methods=["GET"]),
        Route(session + "/live", live_roster, methods=["GET"]),
        Route(corrections, list_corrections, methods=["GET"]),
        Route(corrections, add_correction, methods=["POST"]),
        Route("/api/groups/{id:int}/attendance", group_attendance, methods=["GET"]),
        Route("/api/people/{id:int}/attendance", student_attendance, methods=["GET"]),
        Route("/api/me/attendance", my_attendance, methods=["GET"]),
    ]


def _zone(request: Request, who: Viewer) -> zoneinfo.ZoneInfo:
    return views.viewer_zone(who, services(request).settings.default_timezone)


def _format(request: Request) -> str:
    chosen = request.query_params.get("format", "json")
    if chosen not in FORMATS:
        raise ValidationFailed("format must be json, csv or xlsx")
    return chosen


def _range(request: Request) -> tuple[datetime | None, datetime | None]:
    return query_time(request, "from"), query_time(request, "to")


def _answer(
    chosen: str, tz: zoneinfo.ZoneInfo, body: Callable[[], Any], tables: Tables, name: str
) -> Response:
    if chosen == "json":
        return ok(body())
    if chosen == "csv":
        return _file(to_csv(tables(tz)[0], tz), CSV_TYPE, f"{name}.csv")
    return _file(to_xlsx(tables(tz), tz), XLSX_TYPE, f"{name}.xlsx")


def _file(content: bytes, media_type: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


async def get_policy(request: Request) -> Response:
    who = await viewer(request)
    return ok(shapes.policy(await services(request).attendance.policy(who)))


async def put_policy(request: Request) -> Response:
    """Admins set the thresholds; every field is required."""
    who = await viewer(request)
    body = await read_json(request, PolicyIn)
    return ok(shapes.policy(await services(request).attendance.set_policy(who, body)))


async def session_attendance(request: Request) -> Response:
    who = await viewer(request)
    chosen, found = _format(request), services(request)
    report = await found.attendance.session_report(who, path_id(request))
    now, tz = found.attendance.now(), _zone(request, who)
    labels = (await found.schedule.labels([report.session.id])).get(report.session.id)
    return _answer(
        chosen,
        tz,
        lambda: shapes.session_report(report, tz, now, labels),
        lambda zone: session_tables(report, zone),
        f"attendance-session-{report.session.id}",
    )


async def live_roster(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    report = await found.attendance.live_roster(who, path_id(request))
    return ok(shapes.roster(report, _zone(request, who), found.attendance.now()))


async def list_corrections(request: Request) -> Response:
    who = await viewer(request)
    ids = path_id(request), path_id(request, "student_id")
    entries = await services(request).attendance.corrections(who, *ids)
    return ok({"corrections": [shapes.correction_entry(entry) for entry in entries]})


async def add_correction(request: Request) -> Response:
    """Excuse an absence or set a status by hand, with a reason; ``status: null`` undoes."""
    who = await viewer(request)
    body = await read_json(request, CorrectionIn)
    ids = path_id(request), path_id(request, "student_id")
    row = await services(request).attendance.correct(who, *ids, body)
    return ok(shapes.row(row, _zone(request, who)), 201)


async def group_attendance(request: Request) -> Response:
    """The term matrix: students × sessions, totals in academic hours."""
    who = await viewer(request)
    chosen, (start, end) = _format(request), _range(request)
    report = await services(request).attendance.term_report(who, path_id(request), start, end)
    tz = _zone(request, who)
    return _answer(
        chosen,
        tz,
        lambda: shapes.term_report(report, tz),
        lambda zone: term_tables(report, zone),
        f"attendance-group-{report.group.id}",
    )


async def student_attendance(request: Request) -> Response:
    return await _student(request, await viewer(request), path_id(request))


async def my_attendance(request: Request) -> Response:
    who = await viewer(request)
    return await _student(request, who, who.person_id)


async def _student(request: Request, who: Viewer, student_id: int) -> Response:
    chosen, (start, end) = _format(request), _range(request)
    report = await services(request).attendance.student_report(who, student_id, start, end)
    tz = _zone(request, who)
    return _answer(
        chosen,
        tz,
        lambda: shapes.student_report(report, tz),
        lambda zone: student_tables(report, zone),
        f"attendance-student-{report.student.id}",
    )


async def absences(request: Request) -> Response:
    """For the dean's office: unexcused absences at or over ``threshold`` academic hours."""
    who = await viewer(request)
    chosen, (start, end) = _format(request), _range(request)
    threshold = (
        query_int(request, "threshold", 0, 1, 1000) if "threshold" in request.query_params else None
    )
    report = await services(request).attendance.absences(who, threshold, start, end)
    return _answer(
        chosen,
        _zone(request, who),
        lambda: shapes.absence_report(report),
        lambda zone: absence_tables(report, zone),
        "attendance-absences",
    )
