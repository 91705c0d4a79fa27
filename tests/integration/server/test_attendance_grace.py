"""ATTENDANCE_GRACE_SECONDS reaches the reports: a shorter grace splits a reconnect."""

from __future__ import annotations

import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.attendance_kit import events, past_session

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"ATTENDANCE_GRACE_SECONDS": "10"}


async def test_a_reconnect_longer_than_the_configured_grace_is_a_drop_out(
    client_for: ClientFactory, services: Services
) -> None:
    assert services.settings.attendance_grace_seconds == 10
    session = await past_session(services)
    await events(services, session, "student1.1", (0, "join"), (40, "leave"), (40.5, "join"))
    await events(services, session, "student1.1", (100, "leave"))
    tutor = await client_for("tutor.akhmetova")
    body = (await tutor.get(f"/api/sessions/{session.id}/attendance")).json()
    row = next(r for r in body["students"] if r["student"]["login"] == "student1.1")
    assert row["drop_outs"] == 1
    assert row["minutes_present"] == 99.5
