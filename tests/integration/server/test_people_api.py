"""People and branches: who may manage whom, and what stays invisible."""

from __future__ import annotations

import pytest

from server.db.models import Person
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.lookup import branch_id, count, person_id

pytestmark = pytest.mark.usefixtures("demo")


def new_person(branch: int, login: str = "new.student", role: str = "student") -> dict[str, object]:
    return {
        "login": login,
        "full_name": "Жанна Новая",
        "role": role,
        "branch_id": branch,
        "password": "long-enough-password",
    }


async def test_staff_create_a_person_in_their_branch_who_can_then_sign_in(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.astana")
    astana = await branch_id(services, "AST")
    response = await staff.post("/api/people", json=new_person(astana))
    assert response.status_code == 201
    assert response.json()["branch_id"] == astana
    newcomer = await client_for("new.student", "long-enough-password")
    assert (await newcomer.get("/api/me")).json()["person"]["full_name"] == "Жанна Новая"


async def test_staff_may_not_create_people_in_another_branch(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.astana")
    before = await count(services, Person)
    response = await staff.post("/api/people", json=new_person(await branch_id(services, "SHY")))
    assert response.status_code == 403
    assert await count(services, Person) == before


async def test_only_admins_create_admins(client_for: ClientFactory, services: Services) -> None:
    staff = await client_for("staff.karaganda")
    body = new_person(await branch_id(services, "KRG"), "sneaky", "admin")
    assert (await staff.post("/api/people", json=body)).status_code == 403
    admin = await client_for("admin")
    assert (await admin.post("/api/people", json=body)).status_code == 201


@pytest.mark.parametrize("login", ["student1.1", "tutor.akhmetova", "proctor"])
async def test_non_staff_calling_staff_endpoints_get_403(
    client_for: ClientFactory, services: Services, login: str
) -> None:
    client = await client_for(login)
    body = new_person(await branch_id(services, "KRG"))
    assert (await client.post("/api/people", json=body)).status_code == 403
    assert (await client.post("/api/groups", json={})).status_code in (403, 422)
    target = await person_id(services, login)
    assert (await client.patch(f"/api/people/{target}", json={"role": "admin"})).status_code == 403


async def test_student_cannot_list_people_or_read_another_student(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    assert (await student.get("/api/people")).status_code == 403
    other = await person_id(services, "student1.2")
    response = await student.get(f"/api/people/{other}")
    assert response.status_code == 404
    mine = await person_id(services, "student1.1")
    assert (await student.get(f"/api/people/{mine}")).status_code == 200


async def test_staff_see_their_branch_only_and_other_branches_are_404(
    client_for: ClientFactory, services: Services
) -> None:
    staff = await client_for("staff.pavlodar")
    listed = (await staff.get("/api/people")).json()["people"]
    pavlodar = await branch_id(services, "PAV")
    assert listed and {p["branch_id"] for p in listed} == {pavlodar}
    outsider = await person_id(services, "student1.1")
    assert (await staff.get(f"/api/people/{outsider}")).status_code == 404
    patch = await staff.patch(f"/api/people/{outsider}", json={"full_name": "Hacked"})
    assert patch.status_code == 404


async def test_admin_sees_everyone_and_filters_by_role(client_for: ClientFactory) -> None:
    admin = await client_for("admin")
    students = (await admin.get("/api/people", params={"role": "student"})).json()["people"]
    assert len(students) == 6
    assert (await admin.get("/api/people", params={"role": "wizard"})).status_code == 422
    assert (await admin.get("/api/people", params={"limit": "0"})).status_code == 422


async def test_tutor_sees_the_students_they_teach_only(client_for: ClientFactory) -> None:
    tutor = await client_for("tutor.akhmetova")
    people = (await tutor.get("/api/people")).json()["people"]
    logins = {p["login"] for p in people}
    assert logins == {"tutor.akhmetova", "student1.1", "student1.2", "student1.3"}


async def test_duplicate_login_is_409_and_writes_nothing(
    client_for: ClientFactory, services: Services
) -> None:
    admin = await client_for("admin")
    before = await count(services, Person)
    body = new_person(await branch_id(services, "KRG"), "student1.1")
    response = await admin.post("/api/people", json=body)
    assert response.status_code == 409
    assert await count(services, Person) == before


@pytest.mark.parametrize(
    "change",
    [
        {"password": "short"},
        {"login": "white space"},
        {"full_name": "x" * 201},
        {"role": "wizard"},
        {"branch_id": 0},
        {"timezone": "Mars/Olympus"},
        {"email": "not-an-email"},
        {"locale": "de"},
        {"unexpected": 1},
    ],
)
async def test_invalid_person_fields_get_422_and_write_nothing(
    client_for: ClientFactory, services: Services, change: dict[str, object]
) -> None:
    admin = await client_for("admin")
    before = await count(services, Person)
    body = {**new_person(await branch_id(services, "KRG")), **change}
    response = await admin.post("/api/people", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]
    assert await count(services, Person) == before


async def test_unknown_branch_is_404(client_for: ClientFactory) -> None:
    admin = await client_for("admin")
    assert (await admin.post("/api/people", json=new_person(9999))).status_code == 404


async def test_branches_are_listed_for_everyone_signed_in(client_for: ClientFactory) -> None:
    student = await client_for("student2.1")
    branches = (await student.get("/api/branches")).json()["branches"]
    assert [b["city"] for b in branches] == [
        "Karaganda",
        "Astana",
        "Shymkent",
        "Pavlodar",
        "Kostanay",
    ]
    assert (
        await student.post("/api/branches", json={"code": "X", "name": "X", "city": "X"})
    ).status_code == 403


async def test_person_changes_own_zone_and_language(client_for: ClientFactory) -> None:
    student = await client_for("student1.1")
    response = await student.patch("/api/me", json={"timezone": "Europe/Moscow", "locale": "ru"})
    assert response.status_code == 200
    assert response.json()["person"]["timezone"] == "Europe/Moscow"
    assert (await student.patch("/api/me", json={"role": "admin"})).status_code == 422


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/me", {"locale": None}),
        ("/api/people/{me}", {"full_name": None}),
        ("/api/people/{me}", {"role": None}),
    ],
)
async def test_null_for_a_required_field_is_422(
    client_for: ClientFactory, services: Services, path: str, body: dict[str, object]
) -> None:
    admin = await client_for("admin")
    me = await person_id(services, "admin")
    response = await admin.patch(path.format(me=me), json=body)
    assert response.status_code == 422, response.text
    assert "cannot be null" in response.text


async def test_null_clears_an_optional_field(client_for: ClientFactory) -> None:
    student = await client_for("student1.1")
    await student.patch("/api/me", json={"timezone": "Europe/Moscow"})
    cleared = await student.patch("/api/me", json={"timezone": None})
    assert cleared.json()["person"]["timezone"] is None
