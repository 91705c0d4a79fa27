"""Attendance reports and their exports: term matrix, per student, the dean's absence list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from server.db.models import ScheduledSession
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.attendance_kit import events, past_session
from tests.integration.server.lookup import group_id, person_id

pytestmark = pytest.mark.usefixtures("demo")
ALMATY = timedelta(hours=5)


async def two_past_sessions(services: Services) -> tuple[ScheduledSession, ScheduledSession]:
    """student1.1 present at both; student1.2 late, then absent; student1.3 absent at both."""
    first = await past_session(services, days_ago=3, title="Лекция 1. Введение")
    second = await past_session(services, days_ago=2, title="Лекция 2. Ключи")
    for session in (first, second):
        await events(services, session, "student1.1", (-1, "join"), (101, "leave"))
    await events(services, first, "student1.2", (20, "join"), (100, "leave"))
    return first, second


def book_of(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


async def test_the_term_matrix_has_statuses_and_academic_hours(
    client_for: ClientFactory, services: Services
) -> None:
    first, second = await two_past_sessions(services)
    staff = await client_for("staff.karaganda")
    group = await group_id(services, "ИС-21-1")
    window = {"to": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    response = await staff.get(f"/api/groups/{group}/attendance", params=window)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["id"] for s in body["sessions"]] == [first.id, second.id]
    rows = {row["student"]["login"]: row for row in body["students"]}
    assert [c["status"] for c in rows["student1.1"]["cells"]] == ["present", "present"]
    assert [c["status"] for c in rows["student1.2"]["cells"]] == ["late", "absent"]
    totals = rows["student1.1"]["totals"]
    assert totals["academic_hours_present"] == 4.0
    assert totals["academic_hours_scheduled"] == 4.0
    assert rows["student1.3"]["totals"]["unexcused_academic_hours"] == 4
    assert rows["student1.2"]["totals"]["counts"] == {"late": 1, "absent": 1}


async def test_the_term_matrix_exports_to_xlsx_with_types_and_cyrillic(
    client_for: ClientFactory, services: Services
) -> None:
    await two_past_sessions(services)
    staff = await client_for("staff.karaganda")
    group = await group_id(services, "ИС-21-1")
    window = {"to": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "format": "xlsx"}
    response = await staff.get(f"/api/groups/{group}/attendance", params=window)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = book_of(response.content)
    matrix, minutes = book.worksheets
    assert matrix.title == "ИС-21-1"
    header = [cell.value for cell in matrix[1]]
    assert header[2].endswith("Лекция 1. Введение")
    names = {row[0].value: row for row in matrix.iter_rows(min_row=2)}
    assert set(names) == {"Алия Нуржанова", "Данияр Касымов", "Мадина Ибраева"}
    hours = names["Алия Нуржанова"][header.index("academic hours present")]
    assert hours.data_type == "n" and hours.value == 4
    minute_rows = {row[0].value: row for row in minutes.iter_rows(min_row=2)}
    assert minute_rows["Данияр Касымов"][2].value == 80


async def test_a_session_exports_local_datetimes_to_xlsx_and_csv_with_bom(
    client_for: ClientFactory, services: Services
) -> None:
    first, _ = await two_past_sessions(services)
    tutor = await client_for("tutor.akhmetova")
    url = f"/api/sessions/{first.id}/attendance"
    xlsx = await tutor.get(url, params={"format": "xlsx"})
    sheet = book_of(xlsx.content).active
    header = [cell.value for cell in sheet[1]]
    assert "first join (Asia/Almaty)" in header
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    joined = rows["Алия Нуржанова"][header.index("first join (Asia/Almaty)")]
    expected = (first.starts_at - timedelta(minutes=1) + ALMATY).replace(tzinfo=None)
    assert isinstance(joined.value, datetime) and joined.value == expected
    assert joined.is_date
    assert rows["Алия Нуржанова"][header.index("share %")].value == 100
    csv_response = await tutor.get(url, params={"format": "csv"})
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    by_name = {row["student"]: row for row in parsed}
    assert by_name["Мадина Ибраева"]["status"] == "absent"
    assert by_name["Алия Нуржанова"]["first join (Asia/Almaty)"] == expected.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert float(by_name["Данияр Касымов"]["minutes present"]) == 80.0


async def test_the_term_matrix_is_not_for_students_nor_other_branches(
    client_for: ClientFactory, services: Services
) -> None:
    group = await group_id(services, "ИС-21-1")
    student = await client_for("student1.1")
    assert (await student.get(f"/api/groups/{group}/attendance")).status_code == 403
    other = await client_for("staff.kostanay")
    assert (await other.get(f"/api/groups/{group}/attendance")).status_code == 404


async def test_a_student_sees_their_attendance_across_courses(
    client_for: ClientFactory, services: Services
) -> None:
    first, second = await two_past_sessions(services)
    student = await client_for("student1.2")
    mine = await student.get("/api/me/attendance")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["student"]["full_name"] == "Данияр Касымов"
    (course,) = body["courses"]
    assert course["course"]["code"] == "IS-201"
    statuses = {s["session"]["id"]: s["status"] for s in course["sessions"]}
    assert (statuses[first.id], statuses[second.id]) == ("late", "absent")
    assert body["totals"]["unexcused_absences"] == 1
    neighbour = await person_id(services, "student1.1")
    assert (await student.get(f"/api/people/{neighbour}/attendance")).status_code == 404
    own = await student.get(
        f"/api/people/{body['student']['id']}/attendance", params={"format": "xlsx"}
    )
    sheets = book_of(own.content).worksheets
    assert sheets[0].title == "Данияр Касымов"
    assert sheets[1]["B2"].value == "Базы данных"


async def test_the_deans_office_lists_unexcused_absences_over_the_threshold(
    client_for: ClientFactory, services: Services
) -> None:
    first, _ = await two_past_sessions(services)
    staff = await client_for("staff.karaganda")
    listed = (await staff.get("/api/attendance/absences", params={"threshold": 2})).json()
    assert listed["threshold_hours"] == 2
    hours = {
        s["student"]["login"]: s["totals"]["unexcused_academic_hours"] for s in listed["students"]
    }
    assert hours == {"student1.3": 4, "student1.2": 2}
    assert listed["students"][0]["groups"] == ["ИС-21-1"]
    absent = await person_id(services, "student1.3")
    url = f"/api/sessions/{first.id}/attendance/{absent}/corrections"
    await staff.post(url, json={"status": "excused", "reason": "Командировка, приказ №12"})
    after = (await staff.get("/api/attendance/absences", params={"threshold": 3})).json()
    assert after["students"] == []
    default = (await staff.get("/api/attendance/absences")).json()
    assert default["threshold_hours"] == 6
    exported = await staff.get("/api/attendance/absences", params={"threshold": 1, "format": "csv"})
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("student,login,groups")
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["Данияр Касымов", "Мадина Ибраева"]
    other = await client_for("staff.kostanay")
    assert (await other.get("/api/attendance/absences", params={"threshold": 1})).json()[
        "students"
    ] == []
    tutor = await client_for("tutor.akhmetova")
    assert (await tutor.get("/api/attendance/absences")).status_code == 403
