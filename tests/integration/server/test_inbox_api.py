"""The inbox: idempotent sending, who may write to whom, unread counts, receipts, search."""

from __future__ import annotations

import asyncio

import pytest

from server.db.models import InboxDelivery, InboxMessage
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.inbox_kit import send
from tests.integration.server.lookup import count, group_id, person_id
from tests.integration.server.offline_kit import PDF, uploaded

pytestmark = pytest.mark.usefixtures("demo")


async def test_a_message_is_stored_once_per_key_and_a_changed_replay_is_a_conflict(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    tutor = await person_id(services, "tutor.akhmetova")
    first = await send(student, "msg-key-0001", to_person_id=tutor, text="Сәлем, ұстаз!")
    assert first.status_code == 201, first.text
    replay = await send(student, "msg-key-0001", to_person_id=tutor, text="Сәлем, ұстаз!")
    assert replay.status_code == 200 and replay.json() == first.json()
    changed = await send(student, "msg-key-0001", to_person_id=tutor, text="Other text")
    assert changed.status_code == 409
    racing = await asyncio.gather(
        *(send(student, "msg-key-0002", to_person_id=tutor, text="race") for _ in range(4))
    )
    assert sorted(r.status_code for r in racing) == [200, 200, 200, 201]
    no_key = await student.post("/api/inbox/messages", json={"to_person_id": tutor, "text": "x"})
    assert no_key.status_code == 422
    bad_key = await send(student, "short", to_person_id=tutor, text="x")
    assert bad_key.status_code == 422
    assert await count(services, InboxMessage) == 2
    assert await count(services, InboxDelivery) == 4


async def test_unread_counts_and_read_receipts(
    client_for: ClientFactory, services: Services
) -> None:
    student, tutor = await client_for("student1.1"), await client_for("tutor.akhmetova")
    tutor_id = await person_id(services, "tutor.akhmetova")
    student_id = await person_id(services, "student1.1")
    for text in ("one", "two", "three"):
        await send(student, to_person_id=tutor_id, text=text)
    unread = (await tutor.get("/api/inbox/unread")).json()
    assert unread["total"] == 3
    [conversation] = (await tutor.get("/api/inbox/conversations")).json()["conversations"]
    assert conversation["unread"] == 3 and conversation["kind"] == "direct"
    assert {m["id"] for m in conversation["members"]} == {tutor_id, student_id}
    page = (await tutor.get(f"/api/inbox/conversations/{conversation['id']}/messages")).json()
    assert [m["text"] for m in page["messages"]] == ["three", "two", "one"]
    second = page["messages"][1]["id"]
    read = await tutor.post(
        f"/api/inbox/conversations/{conversation['id']}/read", json={"up_to": second}
    )
    assert read.status_code == 200 and read.json()["unread"] == 1
    seen = (await student.get(f"/api/inbox/conversations/{conversation['id']}/messages")).json()
    receipts = {m["text"]: [r["person_id"] for r in m["read_by"]] for m in seen["messages"]}
    assert receipts == {"one": [tutor_id], "two": [tutor_id], "three": []}
    assert (await student.get("/api/inbox/unread")).json()["total"] == 0


async def test_a_tutor_writes_to_a_group_and_students_answer_in_the_thread(
    client_for: ClientFactory, services: Services
) -> None:
    tutor = await client_for("tutor.akhmetova")
    group = await group_id(services, "ИС-21-1")
    sent = await send(tutor, to_group_id=group, text="РК1 on Friday")
    assert sent.status_code == 201
    conversation = sent.json()["conversation_id"]
    for login in ("student1.1", "student1.2", "student1.3"):
        student = await client_for(login)
        assert (await student.get("/api/inbox/unread")).json()["total"] == 1
    student = await client_for("student1.2")
    answer = await send(student, conversation_id=conversation, text="Рахмет!")
    assert answer.status_code == 201
    assert (await tutor.get("/api/inbox/unread")).json()["total"] == 1
    start_group = await send(student, to_group_id=group, text="hi all")
    assert start_group.status_code == 403
    outsider = await client_for("student2.1")
    assert (await send(outsider, conversation_id=conversation, text="x")).status_code == 404
    page = await outsider.get(f"/api/inbox/conversations/{conversation}/messages")
    assert page.status_code == 404


WHO_MAY_WRITE = [
    ("student1.1", "tutor.akhmetova", 201),
    ("student1.1", "tutor.serikbayev", 404),
    ("student1.1", "student1.2", 404),
    ("student1.1", "staff.karaganda", 201),
    ("staff.karaganda", "student2.3", 201),
    ("staff.astana", "student1.1", 404),
    ("tutor.akhmetova", "student2.1", 404),
    ("tutor.akhmetova", "tutor.akhmetova", 422),
    ("admin", "student2.1", 201),
]


async def test_who_may_write_to_whom(client_for: ClientFactory, services: Services) -> None:
    clients = {}
    for sender, recipient, status in WHO_MAY_WRITE:
        client = clients.get(sender) or await client_for(sender)
        clients[sender] = client
        target = await person_id(services, recipient)
        response = await send(client, to_person_id=target, text="Hello")
        assert response.status_code == status, (sender, recipient, response.text)


async def test_bad_message_bodies_are_refused(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    tutor = await person_id(services, "tutor.akhmetova")
    cases = [
        {"to_person_id": tutor, "text": "   "},
        {"to_person_id": tutor, "to_group_id": 1, "text": "x"},
        {"text": "x"},
        {"to_person_id": tutor, "text": "x" * 10_001},
        {"to_person_id": tutor, "text": "x", "upload_ids": [999_999]},
    ]
    statuses = [(await send(student, **case)).status_code for case in cases]
    assert statuses == [422, 422, 422, 422, 404]


async def test_search_folds_case_in_any_script_and_stays_in_scope(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    tutor_id = await person_id(services, "tutor.akhmetova")
    await send(student, to_person_id=tutor_id, text="Сәлем! ӘЛЕМ 100% дайын")
    await send(student, to_person_id=tutor_id, text="Привет, Мир")
    other = await client_for("staff.karaganda")
    await send(other, to_person_id=await person_id(services, "student1.2"), text="Сәлем Мадина")

    async def found(client_login: str, q: str) -> list[str]:
        client = await client_for(client_login)
        response = await client.get("/api/inbox/search", params={"q": q})
        assert response.status_code == 200
        return [m["text"] for m in response.json()["messages"]]

    assert await found("tutor.akhmetova", "әлем") == ["Сәлем! ӘЛЕМ 100% дайын"]
    assert await found("tutor.akhmetova", "МИР") == ["Привет, Мир"]
    assert await found("tutor.akhmetova", "сәлем") == ["Сәлем! ӘЛЕМ 100% дайын"]
    assert await found("tutor.akhmetova", "0%") == ["Сәлем! ӘЛЕМ 100% дайын"]
    assert await found("tutor.akhmetova", "_") == []
    assert await found("student1.2", "сәлем") == ["Сәлем Мадина"]
    assert (await student.get("/api/inbox/search", params={"q": ""})).status_code == 422


async def test_attachments_reach_the_members_only(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    tutor = await client_for("tutor.akhmetova")
    file_id = await uploaded(student, "Есеп.pdf", PDF)
    sent = await send(
        student,
        to_person_id=await person_id(services, "tutor.akhmetova"),
        text="",
        upload_ids=[file_id],
    )
    assert sent.status_code == 201
    [attached] = sent.json()["files"]
    assert attached["name"] == "Есеп.pdf" and attached["size"] == len(PDF)
    assert (await tutor.get(attached["url"])).content == PDF
    outsider = await client_for("student1.2")
    assert (await outsider.get(attached["url"])).status_code == 404


async def test_since_returns_the_stream_in_order_for_polling_clients(
    client_for: ClientFactory, services: Services
) -> None:
    student = await client_for("student1.1")
    tutor = await client_for("tutor.akhmetova")
    tutor_id = await person_id(services, "tutor.akhmetova")
    for i in range(5):
        await send(student, to_person_id=tutor_id, text=f"m{i}")
    caught = (await tutor.get("/api/inbox/since", params={"since": 2})).json()
    assert [e["seq"] for e in caught["events"]] == [3, 4, 5]
    assert [e["message"]["text"] for e in caught["events"]] == ["m2", "m3", "m4"]
    assert caught["last_seq"] == 5
    ahead = await tutor.get("/api/inbox/since", params={"since": 6})
    assert ahead.status_code == 422
