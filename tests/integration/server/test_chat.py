"""Room chat over the signalling WebSocket, history and export over HTTP."""

from __future__ import annotations

import csv
import io

import pytest
from starlette.applications import Starlette

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.signal_kit import SignalClient, open_now, room_token
from tests.support import wait_until


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"ICE_LOOPBACK_ONLY": "1"}


pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def enter(base: str, session: int, login: str) -> SignalClient:
    client = await SignalClient.connect(base, session)
    await client.join(await room_token(base, login, session))
    return client


async def say(client: SignalClient, text: str, nonce: str, **extra: object) -> dict[str, object]:
    """Sends a chat message; returns the reply to it (chat_ack or error)."""
    before = len(replies(client))
    await client.send({"type": "chat", "text": text, "nonce": nonce, **extra})
    await wait_until(lambda: len(replies(client)) > before)
    return replies(client)[-1]


def replies(client: SignalClient) -> list[dict[str, object]]:
    return [m for m in client.received if m["type"] in ("chat_ack", "error")]


async def test_a_message_reaches_everyone_once_and_a_resend_is_not_a_second_message(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    student = await enter(base, session, "student1.1")
    try:
        ack = await say(student, "Сәлем! <script>alert(1)</script>", "n-1")
        assert ack["type"] == "chat_ack" and ack["nonce"] == "n-1"
        again = await say(student, "Сәлем! <script>alert(1)</script>", "n-1")
        assert again["id"] == ack["id"]
        seen = await tutor.next("chat")
        assert seen["message"]["text"] == "Сәлем! <script>alert(1)</script>"
        assert seen["message"]["sender_name"] == "Алия Нуржанова"
        await say(tutor, "Welcome", "t-1")
        await student.next("chat", after=1)
        assert [m["message"]["id"] for m in tutor.of("chat")] == [1, 2]
        assert len(await services.chat.everything(session)) == 2
    finally:
        await tutor.close()
        await student.close()


async def test_reconnecting_client_gets_everything_since_its_last_id_in_order(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    for i in range(5):
        await say(tutor, f"message {i}", f"t-{i}")
    student = await enter(base, session, "student1.1")
    try:
        await student.send({"type": "chat_since", "since": 2})
        history = await student.next("chat_history")
        assert [m["id"] for m in history["messages"]] == [3, 4, 5]
        await say(tutor, "after", "t-9")
        live = await student.next("chat")
        assert live["message"]["id"] == 6
        await student.send({"type": "chat_since", "since": 99})
        error = await student.next("error")
        assert error["code"] == "validation_failed"
        assert "beyond this room's last id" in error["message"]
    finally:
        await tutor.close()
        await student.close()


async def test_private_messages_are_seen_by_the_pair_only(base: str, services: Services) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    first = await enter(base, session, "student1.1")
    second = await enter(base, session, "student1.2")
    try:
        tutor_id = tutor.of("joined")[0]["participant_id"]
        second_id = second.of("joined")[0]["participant_id"]
        ack = await say(first, "a private question", "p-1", to=tutor_id)
        assert ack["type"] == "chat_ack"
        assert (await tutor.next("chat"))["message"]["recipient_id"] is not None
        refused = await say(first, "psst", "p-2", to=second_id)
        assert refused["code"] == "forbidden"
        await say(tutor, "public", "t-1")
        await second.next("chat")
        assert [m["message"]["text"] for m in second.of("chat")] == ["public"]
    finally:
        for client in (tutor, first, second):
            await client.close()


async def test_moderation_delete_and_student_chat_off(base: str, services: Services) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    student = await enter(base, session, "student1.1")
    other = await enter(base, session, "student1.2")
    try:
        posted = await say(student, "oops", "s-1")
        await other.send({"type": "chat_delete", "id": posted["id"], "nonce": "d-0"})
        assert (await other.next("error"))["code"] == "forbidden"
        await tutor.send({"type": "chat_delete", "id": posted["id"], "nonce": "d-1"})
        deletion = await other.next("chat", after=1)
        assert deletion["message"]["kind"] == "deletion"
        assert deletion["message"]["target_id"] == posted["id"]
        await tutor.send({"type": "chat_students", "enabled": False, "nonce": "off"})
        await student.next("chat", after=2)
        blocked = await say(student, "can I?", "s-2")
        assert blocked["code"] == "forbidden" and "turned student chat off" in blocked["message"]
        history = await services.chat.everything(session)
        assert history[0]["deleted"] is True and history[0]["text"] == ""
    finally:
        for client in (tutor, student, other):
            await client.close()


@pytest.mark.parametrize(
    ("text", "code"), [("   ", "validation_failed"), ("x" * 2001, "bad_message")]
)
async def test_empty_and_over_long_messages_are_refused(
    base: str, services: Services, text: str, code: str
) -> None:
    session = await open_now(services, "consultation")
    student = await enter(base, session, "student1.1")
    try:
        reply = await say(student, text, "e-1")
        assert reply["code"] == code
        assert await services.chat.everything(session) == []
    finally:
        await student.close()


async def test_a_flood_is_rate_limited_with_a_clear_error(base: str, services: Services) -> None:
    session = await open_now(services, "consultation")
    student = await enter(base, session, "student1.1")
    try:
        for i in range(15):
            await student.send({"type": "chat", "text": f"spam {i}", "nonce": f"f-{i}"})
        await wait_until(lambda: any(e["code"] == "rate_limited" for e in student.of("error")))
        stored = await services.chat.everything(session)
        assert 0 < len(stored) < 15
    finally:
        await student.close()


async def test_exam_students_write_only_privately(base: str, services: Services) -> None:
    session = await open_now(services, "exam")
    proctor = await enter(base, session, "proctor")
    student = await enter(base, session, "student1.1")
    try:
        refused = await say(student, "hello all", "x-1")
        assert refused["code"] == "forbidden"
        proctor_id = proctor.of("joined")[0]["participant_id"]
        assert (await say(student, "my camera froze", "x-2", to=proctor_id))["type"] == "chat_ack"
        assert (await proctor.next("chat"))["message"]["text"] == "my camera froze"
    finally:
        await proctor.close()
        await student.close()


async def test_history_and_export_over_http(
    base: str, services: Services, app: Starlette, client_for: ClientFactory
) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    await say(tutor, "=SUM(A1)", "t-1")
    await say(tutor, "Қош келдіңіз", "t-2")
    await tutor.close()
    student = await client_for("student1.2")
    history = (await student.get(f"/api/sessions/{session}/chat", params={"since": 1})).json()
    assert [m["text"] for m in history["messages"]] == ["Қош келдіңіз"]
    assert (await student.get(f"/api/sessions/{session}/chat/export")).status_code == 403
    outsider = await client_for("student2.1")
    assert (await outsider.get(f"/api/sessions/{session}/chat")).status_code == 404
    teacher = await client_for("tutor.akhmetova")
    exported = await teacher.get(f"/api/sessions/{session}/chat/export", params={"format": "csv"})
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["text"] for r in rows] == ["'=SUM(A1)", "Қош келдіңіз"]
    as_json = await teacher.get(f"/api/sessions/{session}/chat/export", params={"format": "json"})
    assert [m["id"] for m in as_json.json()["messages"]] == [1, 2]
    assert (
        await teacher.get(f"/api/sessions/{session}/chat/export", params={"format": "pdf"})
    ).status_code == 422


async def test_join_with_chat_since_replays_before_anything_live(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    for i in range(3):
        await say(tutor, f"m{i}", f"t-{i}")
    student = await SignalClient.connect(base, session)
    try:
        token = await room_token(base, "student1.1", session)
        await student.send({"type": "join", "token": token, "chat_since": 1})
        history = await student.next("chat_history")
        assert [m["id"] for m in history["messages"]] == [2, 3]
        await say(tutor, "m3", "t-3")
        assert (await student.next("chat"))["message"]["id"] == 4
        late = await SignalClient.connect(base, session)
        other = await room_token(base, "student1.2", session)
        await late.send({"type": "join", "token": other, "chat_since": 50})
        assert await late.closed() == 4422
    finally:
        await tutor.close()
        await student.close()


async def test_a_resend_is_acknowledged_even_after_student_chat_was_turned_off(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    student = await enter(base, session, "student1.1")
    try:
        first = await say(student, "stored once", "r-1")
        await tutor.send({"type": "chat_students", "enabled": False, "nonce": "off"})
        await student.next("chat", after=1)
        again = await say(student, "stored once", "r-1")
        assert again == first
        assert (await say(student, "a new one", "r-2"))["code"] == "forbidden"
    finally:
        await tutor.close()
        await student.close()


async def test_private_messages_need_a_student_and_a_moderator(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    tutor = await enter(base, session, "tutor.akhmetova")
    staff = await enter(base, session, "staff.karaganda")
    student = await enter(base, session, "student1.1")
    try:
        student_id = student.of("joined")[0]["participant_id"]
        tutor_id = tutor.of("joined")[0]["participant_id"]
        assert (await say(staff, "psst", "s-1", to=student_id))["code"] == "forbidden"
        assert (await say(staff, "psst", "s-2", to=tutor_id))["code"] == "forbidden"
        assert (await say(tutor, "see me after", "t-1", to=student_id))["type"] == "chat_ack"
    finally:
        for client in (tutor, staff, student):
            await client.close()


async def test_a_forged_sender_is_refused_and_nothing_is_stored(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    student = await enter(base, session, "student1.1")
    try:
        forged = await say(student, "I am the tutor", "f-1", sender_id=1, sender_name="Tutor")
        assert forged["code"] == "bad_message"
        assert await services.chat.everything(session) == []
    finally:
        await student.close()
