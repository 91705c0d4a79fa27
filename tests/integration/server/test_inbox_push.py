"""Push: the event stream over a real server, resumption by Last-Event-ID, and fan-out to a
recipient on another node over Redis."""

from __future__ import annotations

import uuid

import pytest
from starlette.applications import Starlette

from server.app import create_app, services_of
from server.bus import RedisBus
from server.services import Services
from server.settings import Settings
from tests.integration.server.inbox_kit import events, send, signed_in
from tests.integration.server.lookup import group_id, person_id
from tests.integration.server.signal_kit import serve
from tests.support import require

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True),
]
REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_a_message_is_pushed_at_once_and_a_reconnect_misses_nothing(
    base: str, services: Services
) -> None:
    tutor = await signed_in(base, "tutor.akhmetova")
    student = await signed_in(base, "student1.1")
    try:
        group = await group_id(services, "ИС-21-1")
        async with events(student) as stream:
            sent = await send(tutor, to_group_id=group, text="Live")
            event = await stream.until("message")
            assert event["id"] == "1" and event["data"]["message"]["id"] == sent.json()["id"]
        for text in ("while away 1", "while away 2"):
            await send(tutor, to_group_id=group, text=text)
        async with events(student, last_id=1) as stream:
            texts = [(await stream.until("message"))["data"]["message"]["text"] for _ in range(2)]
            assert texts == ["while away 1", "while away 2"]
            conversation = sent.json()["conversation_id"]
            await tutor.get("/api/inbox/unread")
            reply = await send(student, conversation_id=conversation, text="own copy")
            own = await stream.until("message")
            assert own["id"] == "4" and own["data"]["message"]["id"] == reply.json()["id"]
        async with events(tutor, since=0) as stream:
            await student.post(
                f"/api/inbox/conversations/{conversation}/read", json={"up_to": reply.json()["id"]}
            )
            receipt = await stream.until("read")
            assert receipt["data"]["person_id"] == await person_id(services, "student1.1")
    finally:
        await tutor.aclose()
        await student.aclose()


@pytest.mark.redis
async def test_a_recipient_on_another_node_gets_the_message_over_redis(
    settings: Settings, services: Services, app: Starlette
) -> None:
    bus = RedisBus(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}:")
    try:
        await bus.check()
    except Exception:
        require(False, "Redis on 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    nodes = [create_app(settings, RedisBus(REDIS_URL, prefix=prefix)) for _ in range(2)]
    await bus.close()
    try:
        async with serve(nodes[0]) as first, serve(nodes[1]) as second:
            tutor = await signed_in(first, "tutor.akhmetova")
            student = await signed_in(second, "student1.1")
            try:
                async with events(student) as stream:
                    target = await person_id(services, "student1.1")
                    await send(tutor, to_person_id=target, text="across nodes")
                    event = await stream.until("message")
                    assert event["data"]["message"]["text"] == "across nodes"
            finally:
                await tutor.aclose()
                await student.aclose()
    finally:
        for node in nodes:
            await services_of(node).close()
