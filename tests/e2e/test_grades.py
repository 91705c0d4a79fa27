"""Grades in real Chromium (issue 8): a tutor grades two submissions, the gradebook flags the
student with fewer than two grades before РК1, the РК1 sheet is signed and a later change of a
grade it covers is refused; the student sees their released grade."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from tests.conftest import DEMO_PASSWORD
from tests.e2e.kit import BUNDLES, LiveServer, audit, launch, shoot, sign_in, sign_out, wait_for
from tests.integration.server.lookup import person_id
from tests.integration.server.offline_kit import course_and_group

pytestmark = pytest.mark.browser
KK = {key[len("grades.") :]: value for key, value in BUNDLES["kk"].items() if "grades." in key}


@pytest.fixture(scope="module")
def context(playwright: Playwright, chromium: str, e2e_dir: Path) -> Iterator[BrowserContext]:
    browser = launch(playwright, e2e_dir / "grades", chromium)
    yield browser
    browser.close()


@pytest.fixture
def page(context: BrowserContext, live: LiveServer) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert errors == []


@contextmanager
def client(live: LiveServer, login: str) -> Iterator[httpx.Client]:
    """An API client signed in as ``login`` (cookie session plus the CSRF header)."""
    with httpx.Client(base_url=live.base_url, timeout=20) as http:
        answer = http.post("/api/auth/login", json={"login": login, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, answer.text
        http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        yield http


def created(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def seed(live: LiveServer) -> dict[str, Any]:
    """РК1 in four days, a test two days ago graded for two students, and an assignment due in two
    days that those two students have submitted; the third student has no grade at all."""
    course, group = live.call(course_and_group(live.services))
    students = [live.call(person_id(live.services, f"student1.{n}")) for n in (1, 2, 3)]
    today = date.today()
    with client(live, "tutor.akhmetova") as tutor:

        def item(kind: str, title: str, days: int) -> int:
            body = {"course_id": course, "group_id": group, "kind": kind, "title": title}
            body["held_on"] = (today + timedelta(days=days)).isoformat()
            found: int = created(tutor.post("/api/grade-items", json=body))["id"]
            return found

        test = item("test", "Тест 1", -2)
        rk1 = item("midterm", "РК1", 4)
        for student, points in zip(students[:2], (80, 65), strict=True):
            grade = {"points": points, "release": True}
            created(tutor.put(f"/api/grade-items/{test}/grades/{student}", json=grade))
        assignment = created(
            tutor.post(
                "/api/assignments",
                json={
                    "course_id": course,
                    "group_id": group,
                    "title": "Эссе: нормальные формы",
                    "instructions": "3NF",
                    "due_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                    "accepted_types": ["pdf"],
                    "max_file_bytes": 1_000_000,
                    "late_accepted": False,
                },
            )
        )
    for n in (1, 2):
        with client(live, f"student1.{n}") as student:
            created(
                student.post(
                    f"/api/assignments/{assignment['id']}/submit",
                    json={"text": f"Эссе студента {n}"},
                    headers={"Idempotency-Key": f"grades-e2e-{n}"},
                )
            )
    return {
        "course": course,
        "group": group,
        "students": students,
        "rk1": rk1,
        "assignment": assignment,
    }


def grade_submission(page: Page, student: int, points: str, feedback: str) -> None:
    page.get_by_test_id(f"grade-submission-{student}").click()
    dialog = page.get_by_test_id("grade-dialog")
    dialog.wait_for()
    page.get_by_test_id("grade-points").fill(points)
    page.get_by_test_id("grade-feedback").fill(feedback)
    page.get_by_test_id("grade-release").check()
    page.get_by_test_id("grade-save").click()
    dialog.wait_for(state="hidden")


def test_grading_the_two_grades_rule_a_signed_sheet_and_the_students_grade(
    page: Page, live: LiveServer
) -> None:
    plan = seed(live)
    alia, daniyar, third = plan["students"]
    sign_in(page, live.base_url, "tutor.akhmetova")
    page.get_by_test_id("nav-gradebooks").click()
    page.get_by_test_id(f"gradebook-link-{plan['course']}-{plan['group']}").click()
    page.get_by_test_id("gradebook-table").wait_for()
    # Before grading, all three have fewer than two grades before РК1.
    for student in plan["students"]:
        page.get_by_test_id(f"flag-{student}").wait_for()

    page.get_by_test_id("submissions-assignment").select_option(label=plan["assignment"]["title"])
    page.get_by_test_id(f"grade-submission-{alia}").click()
    page.get_by_test_id("grade-points").fill("100.5")
    page.get_by_test_id("grade-save").click()
    error = page.get_by_test_id("grade-points-error")
    wait_for(lambda: error.inner_text() == KK["error_points_range"])
    assert page.get_by_test_id("grade-points").get_attribute("aria-invalid") == "true"
    shoot(page, "grades-validation")
    page.get_by_test_id("grade-cancel").click()
    grade_submission(page, alia, "94,5", "Отлично")
    grade_submission(page, daniyar, "71", "Хорошо, но без примеров")

    # The at-risk endpoint now flags only the student with no grades.
    wait_for(lambda: page.get_by_test_id(f"flag-{alia}").count() == 0)
    wait_for(lambda: page.get_by_test_id(f"flag-{daniyar}").count() == 0)
    flag = page.get_by_test_id(f"flag-{third}")
    assert "РК1" in flag.inner_text()
    assert page.get_by_test_id(f"at-risk-student-{third}").is_visible()
    score = page.get_by_test_id(f"submission-score-{alia}")
    wait_for(lambda: score.get_attribute("data-points") == "94.5")
    assert score.get_attribute("data-letter") == "A"
    assert audit(page) == []
    shoot(page, "grades-gradebook", full_page=True)

    # The РК1 sheet is signed: it closes every grade dated on or before РК1.
    page.get_by_test_id(f"sheet-link-{plan['rk1']}").click()
    page.get_by_test_id("sheet-sign").click()
    page.get_by_test_id("sheet-sign-confirm").click()
    state = page.get_by_test_id("sheet-state")
    wait_for(lambda: state.get_attribute("data-status") == "signed")
    assert page.get_by_test_id("sheet-xlsx").get_attribute("href", timeout=1000)
    assert audit(page) == []
    shoot(page, "grades-sheet-signed", full_page=True)

    page.get_by_test_id("sheet-back").click()
    page.get_by_test_id("gradebook-table").wait_for()
    with client(live, "tutor.akhmetova") as tutor:
        book = tutor.get(f"/api/courses/{plan['course']}/groups/{plan['group']}/gradebook")
        essay = next(i for i in book.json()["items"] if i["assignment_id"])["id"]
    page.get_by_test_id(f"cell-{essay}-{alia}").click()
    page.get_by_test_id("grade-warning").wait_for()
    page.get_by_test_id("grade-points").fill("96")
    page.get_by_test_id("grade-reason").fill("апелляция")
    page.get_by_test_id("grade-save").click()
    refused = page.get_by_test_id("grade-refused")
    refused.wait_for()
    assert refused.get_attribute("role") == "alert"
    assert KK["refused_title"] in refused.inner_text()
    assert page.get_by_test_id("grade-refused-sheet").get_attribute("href") == (
        f"#/sheet/{plan['rk1']}"
    )
    shoot(page, "grades-change-refused")
    page.get_by_test_id("grade-cancel").click()
    assert page.get_by_test_id(f"score-{essay}-{alia}").get_attribute("data-points") == "94.5"
    sign_out(page)

    # The student sees the released grade with its letter.
    sign_in(page, live.base_url, "student1.1")
    page.get_by_test_id("nav-grades").click()
    mine = page.get_by_test_id(f"my-score-{essay}")
    mine.wait_for()
    assert (mine.get_attribute("data-points"), mine.get_attribute("data-letter")) == ("94.5", "A")
    assert page.get_by_test_id(f"my-grade-{essay}").get_by_text("Отлично").is_visible()
    assert audit(page) == []
    shoot(page, "grades-student", full_page=True)
    sign_out(page)

    # The dean's office re-opens the sheet with a reason; it is audited.
    sign_in(page, live.base_url, "staff.karaganda")
    page.goto(f"{live.base_url}/#/sheet/{plan['rk1']}")
    page.get_by_test_id("sheet-reopen").click()
    page.get_by_test_id("reopen-error").wait_for()
    page.get_by_test_id("reopen-reason").fill("ошибка в баллах")
    page.get_by_test_id("sheet-reopen").click()
    wait_for(lambda: state.get_attribute("data-status") == "open")
    assert page.locator("[data-testid=sheet-events] li[data-action=reopened]").count() == 1
    shoot(page, "grades-sheet-reopened", full_page=True)
    sign_out(page)
