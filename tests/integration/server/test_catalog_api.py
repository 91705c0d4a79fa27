"""Groups, courses and enrolment."""

from __future__ import annotations

import pytest

from server.db.models import StudyGroup
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.lookup import branch_id, count, group_id, person_id

pytestmark = pytest.mark.usefixtures("demo")


async def test_staff_build_a_group_and_enrol_it_in_a_new_course(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.astana")
    astana = await branch_id(services, "AST")
    group = await staff.post(
        "/api/groups",
        json={
            "name": "ПМ-23-1",
            "speciality": "Педагогика",
            "year": 1,
            "term": 2,
            "branch_id": astana,
        },
    )
    assert group.status_code == 201
    course = await staff.post(
        "/api/courses",
        json={"code": "PD-110", "discipline": "Педагогика", "credits": 4, "branch_id": astana},
    )
    assert course.status_code == 201
    group_id_, course_id = group.json()["id"], course.json()["id"]
    assert (await staff.put(f"/api/courses/{course_id}/groups/{group_id_}")).status_code == 204
    assert (await staff.put(f"/api/courses/{course_id}/groups/{group_id_}")).status_code == 204
    detail = (await staff.get(f"/api/courses/{course_id}")).json()
    assert [g["name"] for g in detail["groups"]] == ["ПМ-23-1"]


async def test_enrolling_students_and_who_sees_the_group(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.karaganda")
    group = await group_id(services, "ИС-21-1")
    newcomer = await person_id(services, "student2.1")
    assert (await staff.put(f"/api/groups/{group}/students/{newcomer}")).status_code == 204
    detail = (await staff.get(f"/api/groups/{group}")).json()
    assert len(detail["students"]) == 4
    tutor = await person_id(services, "tutor.akhmetova")
    assert (await staff.put(f"/api/groups/{group}/students/{tutor}")).status_code == 422
    assert (await staff.delete(f"/api/groups/{group}/students/{newcomer}")).status_code == 204
    assert len((await staff.get(f"/api/groups/{group}")).json()["students"]) == 3


async def test_groups_of_other_branches_and_students_are_invisible(
    client_for: ClientFactory, services: Services
) -> None:
    group = await group_id(services, "ИС-21-1")
    other_staff = await client_for("staff.shymkent")
    assert (await other_staff.get(f"/api/groups/{group}")).status_code == 404
    assert (await other_staff.get("/api/groups")).json()["groups"] == []
    student = await client_for("student2.1")
    assert (await student.get(f"/api/groups/{group}")).status_code == 404
    own = (await student.get("/api/groups")).json()["groups"]
    assert [g["name"] for g in own] == ["ЭК-22-1"]
    courses = (await student.get("/api/courses")).json()["courses"]
    assert [c["code"] for c in courses] == ["EC-101"]


async def test_group_with_sessions_cannot_be_deleted(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.karaganda")
    group = await group_id(services, "ИС-21-1")
    before = await count(services, StudyGroup)
    response = await staff.delete(f"/api/groups/{group}")
    assert response.status_code == 409
    assert await count(services, StudyGroup) == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": "G", "speciality": "S", "year": 0, "term": 1},
        {"name": "G", "speciality": "S", "year": 1, "term": 15},
        {"name": "", "speciality": "S", "year": 1, "term": 1},
        {"name": "G", "speciality": "S", "year": "one", "term": 1},
    ],
)
async def test_bad_group_input_is_422(
    client_for: ClientFactory, services: Services, body: dict[str, object]
) -> None:
    staff = await client_for("staff.karaganda")
    body = {**body, "branch_id": await branch_id(services, "KRG")}
    assert (await staff.post("/api/groups", json=body)).status_code == 422


async def test_duplicate_course_code_is_409(client_for: ClientFactory, services: Services) -> None:
    admin = await client_for("admin")
    body = {
        "code": "IS-201",
        "discipline": "Again",
        "credits": 5,
        "branch_id": await branch_id(services, "KRG"),
    }
    assert (await admin.post("/api/courses", json=body)).status_code == 409


async def test_null_for_required_group_course_and_session_fields_is_422(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.karaganda")
    group = await group_id(services, "ИС-21-1")
    courses = (await staff.get("/api/courses")).json()["courses"]
    sessions = (await staff.get("/api/sessions")).json()["sessions"]
    for path, body in [
        (f"/api/groups/{group}", {"name": None}),
        (f"/api/courses/{courses[0]['id']}", {"credits": None}),
        (f"/api/sessions/{sessions[0]['id']}", {"starts_at": None}),
    ]:
        response = await staff.patch(path, json=body)
        assert response.status_code == 422, (path, response.text)
