"""Attendance reports as spreadsheet tables (the first table is the CSV; XLSX gets them all)."""

from __future__ import annotations

import zoneinfo

from server.attendance_data import Row
from server.attendance_reports import (
    AbsenceReport,
    SessionReport,
    StudentReport,
    TermReport,
    Totals,
)
from server.db.models import AttendanceStatus, ScheduledSession
from server.export import Cell, Table, local

STATUSES = [status.value for status in AttendanceStatus]
TOTAL_HEADERS = [
    "sessions",
    *STATUSES,
    "minutes present",
    "academic hours present",
    "academic hours scheduled",
    "unexcused absences",
    "unexcused academic hours",
]


def _zoned(title: str, tz: zoneinfo.ZoneInfo) -> str:
    return f"{title} ({tz.key})"


def row_cells(row: Row) -> list[Cell]:
    """Status, derived status, first join, last leave, minutes, share %, drop-outs, reason."""
    outcome = row.outcome
    return [
        row.status.value if row.status else None,
        outcome.status.value if outcome.status else None,
        outcome.first_join,
        outcome.last_leave,
        outcome.minutes_present,
        round(outcome.share * 100, 1),
        outcome.drop_outs,
        row.correction.reason if row.correction else None,
    ]


def row_headers(tz: zoneinfo.ZoneInfo) -> list[str]:
    return [
        "status",
        "derived status",
        _zoned("first join", tz),
        _zoned("last leave", tz),
        "minutes present",
        "share %",
        "drop-outs",
        "correction reason",
    ]


def totals_cells(totals: Totals) -> list[Cell]:
    return [
        totals.sessions,
        *(totals.counts.get(status, 0) for status in STATUSES),
        totals.minutes_present,
        totals.hours_present,
        totals.scheduled_hours,
        totals.unexcused_absences,
        totals.unexcused_hours,
    ]


def session_tables(report: SessionReport, tz: zoneinfo.ZoneInfo) -> list[Table]:
    headers = ["student", "login", *row_headers(tz), "connected"]
    rows = [
        [row.student.full_name, row.student.login, *row_cells(row), int(row.outcome.connected)]
        for row in report.rows
    ]
    return [Table(f"session {report.session.id}", headers, rows)]


def _column(session: ScheduledSession, tz: zoneinfo.ZoneInfo) -> str:
    return f"{local(session.starts_at, tz):%Y-%m-%d %H:%M} {session.title}"


def term_tables(report: TermReport, tz: zoneinfo.ZoneInfo) -> list[Table]:
    """Statuses matrix with totals, then minutes present in each session."""
    columns = [_column(session, tz) for session in report.sessions]
    statuses, minutes = [], []
    for student in report.students:
        cells = [report.cells[(session.id, student.id)] for session in report.sessions]
        name: list[Cell] = [student.full_name, student.login]
        statuses.append(
            [
                *name,
                *(cell.status.value if cell.status else None for cell in cells),
                *totals_cells(report.totals[student.id]),
            ]
        )
        minutes.append([*name, *(cell.outcome.minutes_present for cell in cells)])
    return [
        Table(report.group.name, ["student", "login", *columns, *TOTAL_HEADERS], statuses),
        Table("minutes", ["student", "login", *columns], minutes),
    ]


def student_tables(report: StudentReport, tz: zoneinfo.ZoneInfo) -> list[Table]:
    headers = ["course", "discipline", "session", _zoned("starts at", tz), *row_headers(tz)]
    rows: list[list[Cell]] = []
    for course in report.courses:
        for session, row in course.entries:
            named: list[Cell] = [course.course.code, course.course.discipline, session.title]
            rows.append([*named, session.starts_at, *row_cells(row)])
    totals = [[c.course.code, c.course.discipline, *totals_cells(c.totals)] for c in report.courses]
    return [
        Table(report.student.full_name, headers, rows),
        Table("totals", ["course", "discipline", *TOTAL_HEADERS], totals),
    ]


def absence_tables(report: AbsenceReport, tz: zoneinfo.ZoneInfo) -> list[Table]:
    headers = ["student", "login", "groups", *TOTAL_HEADERS]
    rows: list[list[Cell]] = [
        [item.student.full_name, item.student.login, ", ".join(item.groups)]
        for item in report.students
    ]
    for row, item in zip(rows, report.students, strict=True):
        row.extend(totals_cells(item.totals))
    return [Table(f"absences ≥ {report.threshold_hours} h", headers, rows)]
