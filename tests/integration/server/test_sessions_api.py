"""The timetable: schedules per role, start and end, joining with room tokens, times by zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.db.models import ScheduledSession
from server.services import Services
from server.tokens import Grant
from tests.conftest import ClientFactory
from tests.integration.server.lookup import count, group_id, person_id, sessions_of_group

pytestmark = pytest.mark.usefixtures("demo")


async def first_and_later(services: Services, group: str) -> tuple[int, int]:
    sessions = await sessions_of_group(services, await group_id(services, group))
    return sessions[0].id, sessions[-1].id


async def test_student_week_shows_their_group_sessions_of_every_kind(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    week = (await student.get("/api/schedule", params={"range": "week"})).json()
    mine = await group_id(services, "ИС-21-1")
    assert week["timezone"] == "Asia/Almaty"
    assert {s["group_id"] for s in week["sessions"]} == {mine}
    kinds = {s["kind"] for s in week["sessions"]}
    assert kinds == {"lecture", "practical", "consultation", "colloquium", "midterm", "exam"}
    starts = [s["starts_at"] for s in week["sessions"]]
    assert starts == sorted(starts)
    first = week["sessions"][0]
    assert (first["course_code"], first["group_name"]) == ("IS-201", "ИС-21-1")
    assert first["tutor_name"] == "Айгуль Ахметова"
    assert first["discipline"] == "Базы данных"


async def test_today_is_a_subset_of_the_week(client_for: ClientFactory) -> None:
    student = await client_for("student1.1")
    today = (await student.get("/api/schedule", params={"range": "today"})).json()["sessions"]
    week = (await student.get("/api/schedule")).json()["sessions"]
    assert {s["id"] for s in today} <= {s["id"] for s in week}
    assert (await student.get("/api/schedule", params={"range": "year"})).status_code == 422


async def test_times_are_shown_in_the_persons_zone(client_for: ClientFactory) -> None:
    student = await client_for("student1.1")
    first = (await student.get("/api/schedule")).json()["sessions"][0]
    assert first["local"]["starts_at"].endswith("+05:00")
    assert first["starts_at"].endswith("Z")
    await student.patch("/api/me", json={"timezone": "Europe/Moscow"})
    moved = (await student.get("/api/schedule")).json()["sessions"][0]
    assert moved["local"]["starts_at"].endswith("+03:00")
    utc = datetime.fromisoformat(first["starts_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(moved["local"]["starts_at"]) == utc


async def test_students_of_another_group_see_404(
    client_for: ClientFactory, services: Services
) -> None:
    other_group_session, _ = await first_and_later(services, "ЭК-22-1")
    student = await client_for("student1.1")
    assert (await student.get(f"/api/sessions/{other_group_session}")).status_code == 404
    assert (await student.post(f"/api/sessions/{other_group_session}/join")).status_code == 404


async def test_tutor_starts_their_session_and_students_join_with_a_room_token(
    client_for: ClientFactory, services: Services
) -> None:
    soon, _ = await first_and_later(services, "ИС-21-1")
    tutor = await client_for("tutor.akhmetova")
    started = await tutor.post(f"/api/sessions/{soon}/start")
    assert started.status_code == 200
    assert started.json()["status"] == "live"
    student = await client_for("student1.2")
    joined = await student.post(f"/api/sessions/{soon}/join")
    assert joined.status_code == 200
    body = joined.json()
    claims = services.room_tokens.verify(body["token"], soon)
    assert claims.person_id == await person_id(services, "student1.2")
    assert claims.grants == {Grant.SUBSCRIBE, Grant.CHAT}
    assert body["signal_url"] == f"/rooms/{soon}/signal"
    tutor_pass = (await tutor.post(f"/api/sessions/{soon}/join")).json()
    assert {"publish", "moderate", "record"} <= set(tutor_pass["grants"])


async def test_another_tutors_session_is_invisible_and_students_cannot_start(
    client_for: ClientFactory, services: Services
) -> None:
    soon, _ = await first_and_later(services, "ИС-21-1")
    other_tutor = await client_for("tutor.serikbayev")
    assert (await other_tutor.post(f"/api/sessions/{soon}/start")).status_code == 404
    student = await client_for("student1.1")
    assert (await student.post(f"/api/sessions/{soon}/start")).status_code == 403
    assert (await student.post(f"/api/sessions/{soon}/end")).status_code == 403


async def test_the_room_opens_ten_minutes_before_the_start(
    client_for: ClientFactory, services: Services
) -> None:
    _, later = await first_and_later(services, "ИС-21-1")
    student = await client_for("student1.1")
    view = (await student.get(f"/api/sessions/{later}")).json()
    assert view["can_join"] is False
    refused = await student.post(f"/api/sessions/{later}/join")
    assert refused.status_code == 409
    tutor = await client_for("tutor.akhmetova")
    assert (await tutor.post(f"/api/sessions/{later}/start")).status_code == 409


async def test_ending_closes_the_room(client_for: ClientFactory, services: Services) -> None:
    soon, _ = await first_and_later(services, "ИС-21-1")
    tutor = await client_for("tutor.akhmetova")
    assert (await tutor.post(f"/api/sessions/{soon}/end")).status_code == 409
    await tutor.post(f"/api/sessions/{soon}/start")
    ended = await tutor.post(f"/api/sessions/{soon}/end")
    assert ended.json()["status"] == "ended"
    student = await client_for("student1.1")
    assert (await student.post(f"/api/sessions/{soon}/join")).status_code == 409
    assert (await tutor.post(f"/api/sessions/{soon}/start")).status_code == 409


async def test_proctor_sees_exams_only_with_the_proctor_grant(
    client_for: ClientFactory,
) -> None:
    proctor = await client_for("proctor")
    kinds = {s["kind"] for s in (await proctor.get("/api/schedule")).json()["sessions"]}
    assert kinds == {"midterm", "exam"}


def session_body(course: int, group: int, tutor: int, **extra: object) -> dict[str, object]:
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    return {
        "title": "Дополнительная консультация",
        "course_id": course,
        "group_id": group,
        "tutor_id": tutor,
        "kind": "consultation",
        "starts_at": starts,
        "academic_hours": 2,
        **extra,
    }


async def ids(services: Services) -> tuple[int, int, int]:
    group = await group_id(services, "ИС-21-1")
    sessions = await sessions_of_group(services, group)
    return sessions[0].course_id, group, await person_id(services, "tutor.akhmetova")


async def test_staff_schedule_a_session_which_appears_for_students(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.karaganda")
    created = await staff.post("/api/sessions", json=session_body(*await ids(services)))
    assert created.status_code == 201, created.text
    assert created.json()["minutes"] == 100
    student = await client_for("student1.3")
    week = (await student.get("/api/schedule")).json()["sessions"]
    assert created.json()["id"] in {s["id"] for s in week}


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"starts_at": "2026-12-01T09:00:00"}, 422),
        ({"starts_at": "tomorrow"}, 422),
        ({"kind": "party"}, 422),
        ({"academic_hours": 0}, 422),
        ({"academic_hours": 9}, 422),
        ({"mode": "hybrid"}, 422),
        ({"title": ""}, 422),
        ({"tutor_id": -1}, 422),
        ({"group_id": 99999}, 404),
        ({"course_id": 99999}, 404),
    ],
)
async def test_bad_session_input_is_refused_and_nothing_written(
    client_for: ClientFactory, services: Services, change: dict[str, object], status: int
) -> None:
    staff = await client_for("staff.karaganda")
    before = await count(services, ScheduledSession)
    response = await staff.post(
        "/api/sessions", json={**session_body(*await ids(services)), **change}
    )
    assert response.status_code == status, response.text
    assert await count(services, ScheduledSession) == before


async def test_a_student_cannot_be_the_tutor_and_other_branches_cannot_schedule(
    client_for: ClientFactory, services: Services
) -> None:
    course, group, _ = await ids(services)
    student = await person_id(services, "student1.1")
    staff = await client_for("staff.karaganda")
    as_tutor = await staff.post("/api/sessions", json=session_body(course, group, student))
    assert as_tutor.status_code == 422
    other_staff = await client_for("staff.kostanay")
    tutor = await person_id(services, "tutor.akhmetova")
    refused = await other_staff.post("/api/sessions", json=session_body(course, group, tutor))
    assert refused.status_code == 404
    tutor_client = await client_for("tutor.akhmetova")
    assert (
        await tutor_client.post("/api/sessions", json=session_body(course, group, tutor))
    ).status_code == 403


async def test_cancelled_sessions_cannot_be_changed_or_joined(
    client_for: ClientFactory, services: Services
) -> None:
    soon, _ = await first_and_later(services, "ИС-21-1")
    staff = await client_for("staff.karaganda")
    assert (
        await staff.patch(f"/api/sessions/{soon}", json={"status": "cancelled"})
    ).status_code == 200
    assert (await staff.patch(f"/api/sessions/{soon}", json={"title": "again"})).status_code == 409
    student = await client_for("student1.1")
    assert (await student.post(f"/api/sessions/{soon}/join")).status_code == 409


async def test_session_listing_takes_a_time_range(client_for: ClientFactory) -> None:
    admin = await client_for("admin")
    everything = (await admin.get("/api/sessions")).json()["sessions"]
    assert len(everything) == 12
    past = await admin.get("/api/sessions", params={"to": "2000-01-01T00:00:00+00:00"})
    assert past.json()["sessions"] == []
    assert (await admin.get("/api/sessions", params={"from": "2000-01-01"})).status_code == 422


async def test_session_views_say_whether_the_session_records_itself(
    client_for: ClientFactory, services: Services
) -> None:
    admin = await client_for("admin")
    sessions = (await admin.get("/api/sessions")).json()["sessions"]
    automatic = {s["kind"] for s in sessions if s["records_automatically"]}
    expected = {"midterm", "exam"} if services.settings.recording_auto else set()
    assert automatic == expected
    assert not any(s["recording_now"] for s in sessions)
