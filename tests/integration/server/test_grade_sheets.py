"""Grade sheets: the document, XLSX and printable HTML, signing that closes every path of change
(409, logged), re-opening by staff (audited), and who may sign."""

from __future__ import annotations

import io

import openpyxl
import pytest

from server.db.models import GradeSheetEvent
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.grades_kit import add_item, grade, graded, refusals, term
from tests.integration.server.lookup import count, person_id
from tests.integration.server.offline_kit import course_and_group, key, set_assignment, submit

pytestmark = pytest.mark.usefixtures("demo")


async def test_a_midterm_sheet_in_json_xlsx_and_printable_html(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    items = await term(services, tutor)
    alia = await person_id(services, "student1.1")
    await graded(tutor, items["rk1"], alia, 94.5)
    sheet = (await tutor.get(f"/api/grade-items/{items['rk1']}/sheet")).json()
    assert (sheet["discipline"], sheet["credits"], sheet["group"]) == ("Базы данных", 5, "ИС-21-1")
    assert sheet["form_of_control"] == "Рубежный контроль" and sheet["control"] == "РК1"
    assert sheet["examiner"] == "Айгуль Ахметова" and sheet["status"] == "open"
    rows = {row["full_name"]: row for row in sheet["rows"]}
    assert rows["Алия Нуржанова"] | {"number": 0} == {
        "number": 0,
        "student_id": alia,
        "full_name": "Алия Нуржанова",
        "points": 94.5,
        "letter": "A",
        "grade_points": 4.0,
    }
    assert rows["Данияр Касымов"]["points"] is None

    xlsx = await tutor.get(f"/api/grade-items/{items['rk1']}/sheet", params={"format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell.value for cell in row] for row in book.iter_rows()]
    assert values[1][:2] == ["Дисциплина", "IS-201 Базы данных"]
    assert values[2][:2] == ["Кредиты", 5]
    header = values.index(
        ["№", "Ф.И.О. обучающегося", "Баллы", "Буквенная оценка", "Цифровой эквивалент"]
    )
    first = next(
        row for row in book.iter_rows(min_row=header + 2) if row[1].value == "Алия Нуржанова"
    )
    assert first[2].data_type == "n" and first[2].value == 94.5
    assert first[3].value == "A" and first[4].value == 4 and first[4].number_format == "0.00"
    assert any(row[0] == "Начальник отдела дистанционного обучения" for row in values)

    html = await tutor.get(f"/api/grade-items/{items['rk1']}/sheet", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in html.headers["content-security-policy"]
    page = html.text
    assert '<link rel="stylesheet" href="/css/print.css">' in page
    assert "style=" not in page and "<script" not in page and "<style" not in page
    assert page.count('class="signature-line"') == 2
    assert "Начальник отдела дистанционного обучения" in page and "Экзаменатор" in page
    assert "Алия Нуржанова" in page and "94.5" in page
    css = await tutor.get("/css/print.css")
    assert css.status_code == 200 and ".signature-line" in css.text


async def test_the_exam_sheet_has_admission_exam_and_final_mark(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    items = await term(services, tutor)
    alia = await person_id(services, "student1.1")
    for name, points in (("rk1", 80), ("rk2", 91), ("exam", 90)):
        await graded(tutor, items[name], alia, points)
    sheet = (await tutor.get(f"/api/grade-items/{items['exam']}/sheet")).json()
    assert sheet["form_of_control"] == "Экзамен"
    row = next(r for r in sheet["rows"] if r["student_id"] == alia)
    assert (row["admission"], row["exam"], row["points"], row["letter"]) == (85.5, 90, 87.3, "B+")
    not_a_control = await tutor.get(f"/api/grade-items/{items['task1']}/sheet")
    assert not_a_control.status_code == 422


async def test_a_signed_sheet_refuses_every_path_of_change_and_logs_each(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    items = await term(services, tutor)
    alia = await person_id(services, "student1.1")
    course, group = await course_and_group(services)
    assignment = (await set_assignment(services, tutor))["id"]  # due in 3 days: before РК1
    receipt = await submit(student, assignment, {"text": "эссе"}, key())
    submission = receipt.json()["submission_id"]
    graded_once = await tutor.put(f"/api/submissions/{submission}/grade", json={"points": 70})
    assert graded_once.status_code == 200
    await graded(tutor, items["rk1"], alia, 80)
    signed = await tutor.post(f"/api/grade-items/{items['rk1']}/sheet/sign")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    assert signed.json()["signed_by"]["full_name"] == "Айгуль Ахметова"

    book = f"/api/courses/{course}/groups/{group}"
    attempts = [
        grade(tutor, items["rk1"], alia, 95, reason="апелляция"),
        grade(tutor, items["task1"], alia, 50),
        tutor.post(
            book + "/gradebook/grades",
            json={"grades": [{"item_id": items["test1"], "student_id": alia, "points": 60}]},
        ),
        tutor.put(
            f"/api/submissions/{submission}/grade", json={"points": 99, "reason": "перепроверка"}
        ),
        tutor.patch(f"/api/grade-items/{items['task1']}", json={"held_on": "2099-01-01"}),
        tutor.put(book + "/control-plan", json={"admission_percent": 50}),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 409, response.text
        assert response.json()["error"]["details"] == {"sheet_id": signed.json()["sheet_id"]}
    staff = await client_for("staff.karaganda")
    assert (await grade(staff, items["rk1"], alia, 1, reason="by staff")).status_code == 409
    late_item = await tutor.post(
        "/api/grade-items",
        json={
            "course_id": course,
            "group_id": group,
            "kind": "test",
            "title": "задним числом",
            "held_on": "2000-01-01",
        },
    )
    assert late_item.status_code == 409
    logged = await refusals(services)
    assert len(logged) == 8 and any(line.startswith("submission:") for line in logged)

    sheet = (await tutor.get(f"/api/grade-items/{items['rk1']}/sheet")).json()
    assert next(r for r in sheet["rows"] if r["student_id"] == alia)["points"] == 80
    gradebook = (await tutor.get(book + "/gradebook")).json()
    cells = next(r for r in gradebook["students"] if r["student"]["id"] == alia)["grades"]
    assert cells[str(items["rk1"])]["points"] == 80 and str(items["task1"]) not in cells
    after = await grade(tutor, items["task2"], alia, 66)  # after РК1: still open
    assert after.status_code == 200


async def test_reopening_needs_staff_rights_and_a_reason_and_is_audited(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    items = await term(services, tutor)
    alia = await person_id(services, "student1.1")
    await graded(tutor, items["rk1"], alia, 80)
    sheet = f"/api/grade-items/{items['rk1']}/sheet"
    assert (await tutor.post(sheet + "/sign")).status_code == 200
    assert (await tutor.post(sheet + "/reopen", json={"reason": "ошибка"})).status_code == 403
    staff = await client_for("staff.karaganda")
    assert (await staff.post(sheet + "/reopen", json={})).status_code == 422
    elsewhere = await client_for("staff.astana")
    assert (await elsewhere.post(sheet + "/reopen", json={"reason": "ошибка"})).status_code == 404
    reopened = await staff.post(sheet + "/reopen", json={"reason": "ошибка в баллах"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert (await staff.post(sheet + "/reopen", json={"reason": "ещё раз"})).status_code == 409
    assert (await graded(tutor, items["rk1"], alia, 85)) is None
    events = (await staff.get(sheet + "/events")).json()["events"]
    assert [e["action"] for e in events] == ["signed", "reopened"]
    assert events[1]["detail"] == "ошибка в баллах"
    assert events[1]["by"]["full_name"] == "Деканат — Караганда — головной офис"


async def test_only_the_examiner_of_the_course_or_staff_sign_and_only_once(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    items = await term(services, tutor)
    sign = f"/api/grade-items/{items['rk1']}/sheet/sign"
    other_examiner = await client_for("tutor.serikbayev")
    assert (await other_examiner.post(sign)).status_code == 404
    assert (await (await client_for("student1.1")).post(sign)).status_code == 403
    assert (await (await client_for("staff.astana")).post(sign)).status_code == 404
    assert await count(services, GradeSheetEvent) == 0
    staff = await client_for("staff.karaganda")
    signed = await staff.post(sign)
    assert signed.status_code == 200 and signed.json()["examiner"] == "Айгуль Ахметова"
    assert (await tutor.post(sign)).status_code == 409
    assert (await add_item(services, tutor, "test", "после РК1", 6)) > 0
    refused = await grade(tutor, items["test1"], await person_id(services, "student1.2"), 70)
    assert refused.status_code == 409
