"""The proctor's list of students carries each student's flags so far (count, time and kind of
the latest) without counting as a review view; the student's check-in states the retention
periods of the privacy notice. SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.proctoring_kit import base, exam, exam_desk, in_exam, now_iso

pytestmark = pytest.mark.usefixtures("demo")


async def _flag(student: httpx.AsyncClient, session: int, kind: str, seconds_ago: float) -> None:
    body = {"kind": kind, "at": now_iso(-seconds_ago)}
    response = await student.post(f"{base(session)}/me/flags", json=body)
    assert response.status_code == 201, response.text


async def test_the_students_list_summarises_flags_without_logging_a_view(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    me = await in_exam(student, proctor, session)
    # Sent out of order (a burst after a reconnect): the latest is by the flag's own time.
    await _flag(student, session, "window_blur", -3)  # a device clock a little ahead
    await _flag(student, session, "tab_hidden", 1)
    await _flag(student, session, "copy_paste", 0)

    listed = await proctor.get(f"{base(session)}/students")
    assert listed.status_code == 200, listed.text
    rows = {r["student_id"]: r for r in listed.json()["students"]}
    mine = rows.pop(me)
    assert (mine["flag_count"], mine["last_flag_kind"]) == (3, "window_blur")
    last = datetime.fromisoformat(mine["last_flag_at"].replace("Z", "+00:00"))
    assert 0 < (last - datetime.now(UTC)).total_seconds() <= 3
    assert rows, "the demo group has other students"
    for other in rows.values():  # no check-in, or checked in without flags
        assert (other["flag_count"], other["last_flag_at"], other["last_flag_kind"]) == (
            0,
            None,
            None,
        )

    tutor = await client_for("tutor.akhmetova")
    views = await tutor.get(f"{base(session)}/students/{me}/review/views")
    assert views.status_code == 200 and views.json()["views"] == []


async def test_the_check_in_states_the_retention_periods(
    services: Services, client_for: ClientFactory
) -> None:
    session = await exam(services)
    student = await client_for("student1.1")
    mine = await student.get(f"{base(session)}/me")
    assert mine.status_code == 200, mine.text
    settings = services.settings
    assert mine.json()["privacy"] == {
        "proctoring_retention_days": settings.proctoring_retention_days,
        "recording_retention_days": settings.recording_retention_days,
        "speech_monitored": True,
    }
    assert mine.json()["speech_allowed"] is False
    proctor = await client_for("proctor")
    refused = await proctor.get(f"{base(session)}/me")
    assert refused.status_code == 403 and "only a student" in refused.text


@pytest.mark.parametrize(
    "extra_env",
    [{"PROCTORING_RETENTION_DAYS": "30", "RECORDING_RETENTION_DAYS": "0"}],
)
async def test_a_retention_of_zero_days_means_no_automatic_deletion(
    services: Services, client_for: ClientFactory
) -> None:
    session = await exam(services)
    student = await client_for("student1.1")
    privacy = (await student.get(f"{base(session)}/me")).json()["privacy"]
    assert privacy == {
        "proctoring_retention_days": 30,
        "recording_retention_days": None,
        "speech_monitored": True,
    }
