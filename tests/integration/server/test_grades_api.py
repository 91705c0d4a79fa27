"""Grading: points with feedback and release, the history of every change, bad input, scope,
the gradebook with the two-grades rule, admission rating and final mark, submissions' grades."""

from __future__ import annotations

import pytest

from server.db.models import Grade, GradeChange, GradeItem
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.grades_kit import add_item, grade, graded, term
from tests.integration.server.lookup import count, person_id
from tests.integration.server.offline_kit import course_and_group, key, set_assignment, submit

pytestmark = pytest.mark.usefixtures("demo")


async def test_a_grade_has_a_letter_and_feedback_and_only_its_student_sees_it_once_released(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    item = await add_item(services, tutor, "colloquium", "Коллоквиум: транзакции", -1)
    alia = await person_id(services, "student1.1")
    response = await grade(tutor, item, alia, 94.5, feedback="Отлично, но без примеров")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["points"], body["letter"], body["grade_points"]) == (94.5, "A", 4.0)
    assert body["released"] is False
    assert (await student.get("/api/me/grades")).json() == {"courses": []}

    released = await tutor.post(f"/api/grade-items/{item}/release")
    assert released.json() == {"released": 1}
    [course] = (await student.get("/api/me/grades")).json()["courses"]
    [mine] = course["grades"]
    assert mine["points"] == 94.5 and mine["feedback"] == "Отлично, но без примеров"
    assert mine["item"]["title"] == "Коллоквиум: транзакции"
    other = await client_for("student1.2")
    assert (await other.get(f"/api/people/{alia}/grades")).status_code == 404
    assert (await other.get("/api/me/grades")).json() == {"courses": []}
    own = (await student.get(f"/api/people/{alia}/grades")).json()["courses"]
    assert own[0]["grades"][0]["letter"] == "A"
    seen = (await tutor.get(f"/api/people/{alia}/grades")).json()["courses"]
    assert seen[0]["grades"][0]["points"] == 94.5


async def test_every_change_is_kept_with_who_when_old_new_and_why(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    item = await add_item(services, tutor, "test", "Тест 1", -2)
    alia = await person_id(services, "student1.1")
    assert (await grade(tutor, item, alia, 70, feedback="ok")).status_code == 200
    no_reason = await grade(tutor, item, alia, 75)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["message"]
    changed = await grade(tutor, item, alia, 75, reason="пересчёт после апелляции")
    assert changed.status_code == 200 and changed.json()["points"] == 75
    same = await grade(tutor, item, alia, 75)  # nothing changes, nothing to explain
    assert same.status_code == 200
    history = (await tutor.get(f"/api/grade-items/{item}/grades/{alia}/history")).json()
    first, second = history["changes"]
    assert (first["old_points"], first["new_points"], first["source"]) == (None, 70, "api")
    assert (second["old_points"], second["new_points"]) == (70, 75)
    assert (second["old_feedback"], second["new_feedback"]) == ("ok", "ok")
    assert second["reason"] == "пересчёт после апелляции"
    assert second["changed_by"]["full_name"] == "Айгуль Ахметова" and second["changed_at"]


async def test_bad_points_or_a_student_of_another_group_are_refused_and_nothing_changes(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    item = await add_item(services, tutor, "test", "Тест 1", -2)
    alia = await person_id(services, "student1.1")
    for bad in (-1, 100.5, 101, "90", None, True, 94.55, [90]):
        response = await grade(tutor, item, alia, bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["details"][0]["field"] == "points"
    missing = await tutor.put(f"/api/grade-items/{item}/grades/{alia}", json={"feedback": "x"})
    assert missing.status_code == 422
    stranger = await grade(tutor, item, await person_id(services, "student2.1"), 80)
    assert stranger.status_code == 422
    assert "not a student of group" in stranger.json()["error"]["message"]
    assert await count(services, Grade) == 0 and await count(services, GradeChange) == 0


async def test_a_student_may_not_grade_or_read_the_gradebook(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    item = await add_item(services, tutor, "test", "Тест 1", -2)
    other = await person_id(services, "student1.2")
    course, group = await course_and_group(services)
    assert (await grade(student, item, other, 100)).status_code == 403
    book = await student.get(f"/api/courses/{course}/groups/{group}/gradebook")
    assert book.status_code == 403
    new_item = {"course_id": course, "group_id": group, "kind": "test", "title": "x"}
    made = await student.post("/api/grade-items", json={**new_item, "held_on": "2026-12-01"})
    assert made.status_code == 403
    assert (await student.get("/api/grades/at-risk")).status_code == 403
    assert await count(services, Grade) == 0 and await count(services, GradeItem) == 1


async def test_other_courses_and_branches_are_not_found(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    item = await add_item(services, tutor, "test", "Тест 1", -2)
    alia = await person_id(services, "student1.1")
    course, group = await course_and_group(services)
    for login in ("tutor.serikbayev", "staff.astana"):
        outsider = await client_for(login)
        assert (await grade(outsider, item, alia, 50)).status_code == 404
        book = await outsider.get(f"/api/courses/{course}/groups/{group}/gradebook")
        assert book.status_code == 404
    staff = await client_for("staff.karaganda")
    assert (await grade(staff, item, alia, 50)).status_code == 200


async def test_the_gradebook_flags_the_two_grades_rule_and_forms_the_final_mark(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    items = await term(services, tutor)
    alia, daniyar = [await person_id(services, f"student1.{n}") for n in (1, 2)]
    for name, points in (("task1", 90), ("test1", 70), ("rk1", 80), ("rk2", 91), ("exam", 90)):
        await graded(tutor, items[name], alia, points)
    await graded(tutor, items["task1"], daniyar, 60)
    course, group = await course_and_group(services)
    book = (await tutor.get(f"/api/courses/{course}/groups/{group}/gradebook")).json()
    rows = {row["student"]["login"]: row for row in book["students"]}
    assert [c["short"] for c in rows["student1.1"]["two_grades_rule"]] == [False, True]
    assert [c["grades"] for c in rows["student1.2"]["two_grades_rule"]] == [1, 0]
    alia_row = rows["student1.1"]
    assert alia_row["admission"]["points"] == 85.5 and alia_row["admitted"] is True
    assert alia_row["final"] == {"points": 87.3, "letter": "B+", "grade_points": 3.33}
    assert rows["student1.2"]["final"] is None and rows["student1.2"]["admitted"] is None

    plan = f"/api/courses/{course}/groups/{group}/control-plan"
    changed = await tutor.put(plan, json={"admission_percent": 50, "admission_min": 50})
    assert changed.status_code == 200 and changed.json()["exam_percent"] == 50
    assert [m["title"] for m in changed.json()["midterms"]] == ["РК1", "РК2"]
    book = (await tutor.get(f"/api/courses/{course}/groups/{group}/gradebook")).json()
    assert book["students"][0]["final"]["points"] == 87.8  # 42.75 + 45 = 87.75, half up


async def test_students_short_of_two_grades_are_listed_ahead_of_the_midterm(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    items = await term(services, tutor)
    alia = await person_id(services, "student1.1")
    await graded(tutor, items["task1"], alia, 90)
    await graded(tutor, items["test1"], alia, 70)
    for login in ("tutor.akhmetova", "staff.karaganda"):
        found = (await (await client_for(login)).get("/api/grades/at-risk?days=7")).json()
        [control] = found["controls"]
        assert control["control"]["title"] == "РК1" and control["days_left"] == 5
        assert {s["student"]["login"] for s in control["students"]} == {"student1.2", "student1.3"}
    assert (await tutor.get("/api/grades/at-risk?days=4")).json()["controls"] == []
    elsewhere = await client_for("staff.astana")
    assert (await elsewhere.get("/api/grades/at-risk?days=60")).json()["controls"] == []


async def test_the_gradebook_path_writes_all_or_nothing(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    item = await add_item(services, tutor, "test", "Тест 1", -2)
    alia, stranger = (
        await person_id(services, "student1.1"),
        await person_id(services, "student2.1"),
    )
    course, group = await course_and_group(services)
    path = f"/api/courses/{course}/groups/{group}/gradebook/grades"
    cells = [{"item_id": item, "student_id": alia, "points": 77}]
    mixed = await tutor.post(path, json={"grades": [*cells, {**cells[0], "student_id": stranger}]})
    assert mixed.status_code == 422 and await count(services, Grade) == 0
    done = await tutor.post(path, json={"grades": cells})
    assert done.status_code == 200 and done.json()["grades"][0]["letter"] == "B-"
    history = (await tutor.get(f"/api/grade-items/{item}/grades/{alia}/history")).json()
    assert history["changes"][0]["source"] == "gradebook"


async def test_a_submission_is_graded_on_its_assignment_item(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    student = await client_for("student1.1")
    assignment = (await set_assignment(services, tutor))["id"]
    receipt = await submit(student, assignment, {"text": "Моё эссе о 3НФ"}, key())
    submission = receipt.json()["submission_id"]
    body = {"points": 91, "feedback": "Хорошо", "release": True}
    assert (await student.put(f"/api/submissions/{submission}/grade", json=body)).status_code == 403
    response = await tutor.put(f"/api/submissions/{submission}/grade", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["submission_id"] == submission and response.json()["letter"] == "A-"
    [course] = (await student.get("/api/me/grades")).json()["courses"]
    assert course["grades"][0]["item"]["assignment_id"] == assignment
    assert course["grades"][0]["item"]["kind"] == "assignment"

    other = await client_for("student1.2")
    await other.put(f"/api/assignments/{assignment}/draft", json={"text": "черновик"})
    draft = (await other.get(f"/api/assignments/{assignment}/submission")).json()["id"]
    refused = await tutor.put(f"/api/submissions/{draft}/grade", json=body)
    assert refused.status_code == 409
