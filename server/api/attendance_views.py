"""JSON shapes of attendance: policy, rows, the reports and the live roster."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from server.api import views
from server.attendance import CorrectionEntry
from server.attendance_data import CorrectionRef, Row, StudentRef
from server.attendance_reports import (
    AbsenceReport,
    SessionReport,
    StudentReport,
    TermReport,
    Totals,
)
from server.attendance_rules import Policy
from server.clock import iso_local, iso_utc
from server.db.models import ScheduledSession
from server.schedule import SessionLabels


def policy(item: Policy) -> dict[str, Any]:
    return {
        "late_after_minutes": item.late_after_minutes,
        "left_early_minutes": item.left_early_minutes,
        "present_percent": item.present_percent,
        "partial_percent": item.partial_percent,
        "absence_threshold_hours": item.absence_threshold_hours,
    }


def student(item: StudentRef) -> dict[str, Any]:
    return {"id": item.id, "login": item.login, "full_name": item.full_name}


def _times(tz: zoneinfo.ZoneInfo, **values: datetime | None) -> dict[str, Any]:
    shown: dict[str, Any] = {name: iso_utc(value) for name, value in values.items()}
    shown["local"] = {name: iso_local(value, tz) for name, value in values.items()}
    return shown


def correction(item: CorrectionRef | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "status": item.status.value if item.status else None,
        "reason": item.reason,
        "corrected_by": item.corrected_by,
        "corrected_at": iso_utc(item.corrected_at),
    }


def row(item: Row, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    outcome = item.outcome
    return {
        "student": student(item.student),
        "status": item.status.value if item.status else None,
        "derived_status": outcome.status.value if outcome.status else None,
        "correction": correction(item.correction),
        **_times(tz, first_join=outcome.first_join, last_leave=outcome.last_leave),
        "minutes_present": outcome.minutes_present,
        "share": round(outcome.share, 4),
        "drop_outs": outcome.drop_outs,
        "connected": outcome.connected,
        "connected_since": iso_utc(outcome.connected_since),
    }


def session_report(
    report: SessionReport,
    tz: zoneinfo.ZoneInfo,
    now: datetime,
    labels: SessionLabels | None = None,
) -> dict[str, Any]:
    window = report.window
    return {
        "session": views.session(report.session, tz, now, labels),
        "window": {
            **_times(tz, start=window.start, end=window.end),
            "final": window.final,
        },
        "policy": policy(report.policy),
        "students": [row(item, tz) for item in report.rows],
    }


def roster(report: SessionReport, tz: zoneinfo.ZoneInfo, now: datetime) -> dict[str, Any]:
    """Who is connected now, since when, and minutes so far."""
    entries = [
        {
            "student": student(item.student),
            "connected": item.outcome.connected,
            **_times(tz, since=item.outcome.connected_since, first_join=item.outcome.first_join),
            "minutes_present": item.outcome.minutes_present,
            "drop_outs": item.outcome.drop_outs,
        }
        for item in report.rows
    ]
    return {
        "session_id": report.session.id,
        "status": report.session.status,
        "now": iso_utc(now),
        "connected_count": sum(1 for item in report.rows if item.outcome.connected),
        "students": entries,
    }


def totals(item: Totals) -> dict[str, Any]:
    return {
        "sessions": item.sessions,
        "counts": item.counts,
        "minutes_present": item.minutes_present,
        "academic_hours_present": item.hours_present,
        "academic_hours_scheduled": item.scheduled_hours,
        "unexcused_absences": item.unexcused_absences,
        "unexcused_academic_hours": item.unexcused_hours,
    }


def session_brief(item: ScheduledSession, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "kind": item.kind,
        "course_id": item.course_id,
        "academic_hours": item.academic_hours,
        "status": item.status,
        **_times(tz, starts_at=item.starts_at),
    }


def term_report(report: TermReport, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    students = []
    for person in report.students:
        cells = [report.cells[(s.id, person.id)] for s in report.sessions]
        students.append(
            {
                "student": student(person),
                "cells": [
                    {
                        "session_id": s.id,
                        "status": c.status.value if c.status else None,
                        "minutes_present": c.outcome.minutes_present,
                    }
                    for s, c in zip(report.sessions, cells, strict=True)
                ],
                "totals": totals(report.totals[person.id]),
            }
        )
    return {
        "group": views.group(report.group),
        "sessions": [session_brief(s, tz) for s in report.sessions],
        "students": students,
    }


def student_report(report: StudentReport, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    courses = [
        {
            "course": views.course(item.course),
            "sessions": [{"session": session_brief(s, tz), **row(r, tz)} for s, r in item.entries],
            "totals": totals(item.totals),
        }
        for item in report.courses
    ]
    return {
        "student": student(report.student),
        "courses": courses,
        "totals": totals(report.totals),
    }


def absence_report(report: AbsenceReport) -> dict[str, Any]:
    return {
        "threshold_hours": report.threshold_hours,
        "students": [
            {"student": student(i.student), "groups": i.groups, "totals": totals(i.totals)}
            for i in report.students
        ],
    }


def correction_entry(entry: CorrectionEntry) -> dict[str, Any]:
    item = entry.item
    return {
        "id": item.id,
        "status": item.status,
        "reason": item.reason,
        "corrected_by": item.corrected_by,
        "corrected_by_name": entry.corrected_by_name,
        "corrected_at": iso_utc(item.corrected_at),
    }
