"""The live room's publish gate: an exam student publishes only once identity is approved, and
the proctor's pause reaches the student as a room message."""

from __future__ import annotations

import httpx
import pytest

from server.services import Services
from tests.conftest import DEMO_PASSWORD
from tests.integration.server.proctoring_kit import base, checked_in
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import wait_until

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"ICE_LOOPBACK_ONLY": "1", "ROOM_RESUME_SECONDS": "3", "PROCTORING_REQUIRED": "1"}


async def _client(url: str, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=f"http://{url}")
    signed = await client.post("/api/auth/login", json={"login": login, "password": DEMO_PASSWORD})
    client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    return client


async def test_an_unapproved_exam_student_may_not_publish(
    base_url: str, services: Services
) -> None:
    session = await open_now(services, "exam")
    proctor = await Peer.enter(base_url, session, "proctor")
    student = await Peer.enter(base_url, session, "student1.1")
    http_student = await _client(base_url, "student1.1")
    http_proctor = await _client(base_url, "proctor")
    try:
        await student.signal.send({"type": "publish", "sdp": "v=0\r\n", "labels": {}})
        refused = await student.signal.next("error")
        assert refused["code"] == "forbidden" and "proctor" in refused["message"]
        me = (await checked_in(http_student, session))["student_id"]
        await http_proctor.post(f"{base(session)}/students/{me}/approve")
        assert (await student.signal.next("exam_state"))["state"] == "approved"
        await student.publish()
        await wait_until(lambda: proctor.frames["video"] >= 2, timeout=15)
        await http_student.post(f"{base(session)}/me/start")
        await http_proctor.post(f"{base(session)}/students/{me}/pause", json={"reason": "wait"})
        paused = await student.signal.next("exam_state", after=1)
        assert paused == {"type": "exam_state", "state": "paused", "reason": "wait"}
        assert any(
            m.get("student_id") == me and m["state"] == "paused"
            for m in proctor.signal.of("exam_state")
        )
    finally:
        for peer in (proctor, student):
            await peer.close()
        await http_student.aclose()
        await http_proctor.aclose()


@pytest.fixture
def base_url(base: str) -> str:
    return base
