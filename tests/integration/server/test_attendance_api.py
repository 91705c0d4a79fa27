"""Attendance over HTTP: derived statuses, corrections, the policy, the live roster, scoping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.attendance_data import events_of
from server.db.engine import make_sessionmaker
from server.db.models import AttendanceCorrection, AttendancePolicyRecord, PresenceEvent
from server.db.models import SessionStatus as S
from server.presence import thin
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.attendance_kit import (
    add_session,
    events,
    heartbeats,
    minutes,
    past_session,
)
from tests.integration.server.lookup import count, person_id

pytestmark = pytest.mark.usefixtures("demo")


def by_login(body: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = body["students"]
    assert isinstance(rows, list)
    return {row["student"]["login"]: row for row in rows}


async def test_events_are_persisted_and_bad_ones_refused(services: Services) -> None:
    session = await past_session(services)
    await events(services, session, "student1.1", (0, "join"), (0.5, "heartbeat"), (1, "leave"))
    assert await count(services, PresenceEvent) == 3
    who = await person_id(services, "student1.1")
    with pytest.raises(ValueError, match="unknown presence event kind"):
        await services.attendance.record(session.id, who, "wave", session.starts_at)
    with pytest.raises(ValueError, match="timezone-aware"):
        await services.attendance.record(session.id, who, "join", datetime(2026, 1, 1))
    assert await count(services, PresenceEvent) == 3


async def test_statuses_minutes_and_drop_outs_are_derived_from_events(
    client_for: ClientFactory, services: Services
) -> None:
    session = await past_session(services)
    await events(services, session, "student1.1", (-3, "join"), (40, "leave"), (40.5, "join"))
    await events(services, session, "student1.1", (60, "leave"), (65, "join"), (104, "leave"))
    await events(services, session, "student1.2", (25, "join"), (100, "leave"))
    tutor = await client_for("tutor.akhmetova")
    response = await tutor.get(f"/api/sessions/{session.id}/attendance")
    assert response.status_code == 200, response.text
    rows = by_login(response.json())
    first = rows["student1.1"]
    assert first["status"] == "present"
    assert first["minutes_present"] == 95.0  # clipped to the 100 scheduled minutes
    assert first["drop_outs"] == 1  # the 30-second reconnect is within the grace
    assert first["first_join"] == (session.starts_at - minutes(3)).isoformat().replace(
        "+00:00", "Z"
    )
    assert first["local"]["first_join"].endswith("+05:00")
    assert rows["student1.2"]["status"] == "late"
    assert rows["student1.2"]["share"] == 0.75
    assert rows["student1.3"]["status"] == "absent"
    assert rows["student1.3"]["first_join"] is None


async def test_after_a_crash_the_interval_is_closed_at_the_last_heartbeat(
    client_for: ClientFactory, services: Services
) -> None:
    session = await past_session(services)
    await heartbeats(services, session, "student1.1", 0, 70)
    tutor = await client_for("tutor.akhmetova")
    row = by_login((await tutor.get(f"/api/sessions/{session.id}/attendance")).json())["student1.1"]
    last = (session.starts_at + minutes(70)).isoformat().replace("+00:00", "Z")
    assert row["last_leave"] == last
    assert row["minutes_present"] == 70.0
    assert row["connected"] is False
    assert row["status"] == "left_early"


async def test_a_student_reads_only_their_own_row_and_not_other_groups(
    client_for: ClientFactory, services: Services
) -> None:
    session = await past_session(services)
    student = await client_for("student1.2")
    mine = (await student.get(f"/api/sessions/{session.id}/attendance")).json()
    assert [row["student"]["login"] for row in mine["students"]] == ["student1.2"]
    stranger = await client_for("student2.1")
    assert (await stranger.get(f"/api/sessions/{session.id}/attendance")).status_code == 404
    other_staff = await client_for("staff.kostanay")
    assert (await other_staff.get(f"/api/sessions/{session.id}/attendance")).status_code == 404


async def test_the_tutor_excuses_an_absence_and_every_correction_is_kept(
    client_for: ClientFactory, services: Services
) -> None:
    session = await past_session(services)
    absent = await person_id(services, "student1.3")
    tutor = await client_for("tutor.akhmetova")
    url = f"/api/sessions/{session.id}/attendance/{absent}/corrections"
    excused = await tutor.post(url, json={"status": "excused", "reason": "Справка о болезни"})
    assert excused.status_code == 201, excused.text
    assert (excused.json()["status"], excused.json()["derived_status"]) == ("excused", "absent")
    staff = await client_for("staff.karaganda")
    later = await staff.post(url, json={"status": "partial", "reason": "Был в аудитории филиала"})
    assert later.json()["status"] == "partial"
    undone = await staff.post(url, json={"status": None, "reason": "Ошибка, вернуть расчёт"})
    assert undone.json()["status"] == "absent"
    history = (await tutor.get(url)).json()["corrections"]
    assert [entry["status"] for entry in history] == ["excused", "partial", None]
    assert history[0]["reason"] == "Справка о болезни"
    assert history[0]["corrected_by_name"] == "Айгуль Ахметова"
    assert all(entry["corrected_at"].endswith("Z") for entry in history)
    student = await client_for("student1.3")
    assert (await student.get(url)).status_code == 200


@pytest.mark.parametrize(
    ("login", "body", "status"),
    [
        ("student1.3", {"status": "excused", "reason": "Я болел, вот справка"}, 403),
        ("student1.1", {"status": "present", "reason": "Исправляю соседу"}, 403),
        ("tutor.akhmetova", {"status": "sleeping", "reason": "Причина указана"}, 422),
        ("tutor.akhmetova", {"status": "excused", "reason": ""}, 422),
        ("tutor.akhmetova", {"status": "excused"}, 422),
        ("tutor.akhmetova", {"status": "excused", "reason": "x" * 501}, 422),
        ("tutor.akhmetova", {"status": "excused", "reason": "ok", "extra": 1}, 422),
        ("staff.kostanay", {"status": "excused", "reason": "Справка о болезни"}, 404),
        ("tutor.serikbayev", {"status": "excused", "reason": "Справка о болезни"}, 404),
        ("proctor", {"status": "excused", "reason": "Справка о болезни"}, 404),
    ],
)
async def test_bad_or_unauthorised_corrections_change_nothing(
    client_for: ClientFactory,
    services: Services,
    login: str,
    body: dict[str, object],
    status: int,
) -> None:
    session = await past_session(services)
    target = await person_id(services, "student1.3")
    client = await client_for(login)
    url = f"/api/sessions/{session.id}/attendance/{target}/corrections"
    response = await client.post(url, json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]
    assert await count(services, AttendanceCorrection) == 0


async def test_a_correction_for_someone_outside_the_group_is_404(
    client_for: ClientFactory, services: Services
) -> None:
    session = await past_session(services)
    outsider = await person_id(services, "student2.1")
    tutor = await client_for("tutor.akhmetova")
    url = f"/api/sessions/{session.id}/attendance/{outsider}/corrections"
    refused = await tutor.post(url, json={"status": "excused", "reason": "Справка"})
    assert refused.status_code == 404
    assert await count(services, AttendanceCorrection) == 0


async def test_admins_set_the_policy_staff_read_it_and_statuses_follow(
    client_for: ClientFactory, services: Services
) -> None:
    session = await past_session(services)
    await events(services, session, "student1.1", (7, "join"), (100, "leave"))
    staff = await client_for("staff.karaganda")
    policy = (await staff.get("/api/attendance/policy")).json()
    assert policy == {
        "late_after_minutes": 10,
        "left_early_minutes": 10,
        "present_percent": 80,
        "partial_percent": 30,
        "absence_threshold_hours": 6,
    }
    stricter = {**policy, "late_after_minutes": 5}
    assert (await staff.put("/api/attendance/policy", json=stricter)).status_code == 403
    admin = await client_for("admin")
    assert (await admin.put("/api/attendance/policy", json=stricter)).json() == stricter
    assert (await staff.get("/api/attendance/policy")).json() == stricter
    report = (await staff.get(f"/api/sessions/{session.id}/attendance")).json()
    assert by_login(report)["student1.1"]["status"] == "late"
    student = await client_for("student1.1")
    assert (await student.get("/api/attendance/policy")).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"partial_percent": 90},
        {"present_percent": 101},
        {"present_percent": 0},
        {"late_after_minutes": -1},
        {"left_early_minutes": 241},
        {"absence_threshold_hours": 0},
        {"late_after_minutes": "ten"},
        {"colour": "red"},
    ],
)
async def test_bad_thresholds_are_refused(
    client_for: ClientFactory, services: Services, change: dict[str, object]
) -> None:
    admin = await client_for("admin")
    body = {
        "late_after_minutes": 10,
        "left_early_minutes": 10,
        "present_percent": 80,
        "partial_percent": 30,
        "absence_threshold_hours": 6,
        **change,
    }
    response = await admin.put("/api/attendance/policy", json=body)
    assert response.status_code == 422, response.text
    assert await count(services, AttendancePolicyRecord) == 0
    missing = {k: v for k, v in body.items() if k != "present_percent"}
    assert (await admin.put("/api/attendance/policy", json=missing)).status_code == 422


async def test_the_live_roster_shows_who_is_connected_now(
    client_for: ClientFactory, services: Services
) -> None:
    now = datetime.now(UTC)
    session = await add_session(services, now - minutes(20), status=S.LIVE)
    await events(services, session, "student1.1", (-2, "join"), (19.5, "heartbeat"))
    await events(services, session, "student1.2", (0, "join"), (10, "leave"))
    await events(services, session, "student1.3", (0, "join"), (5, "heartbeat"))
    tutor = await client_for("tutor.akhmetova")
    roster = (await tutor.get(f"/api/sessions/{session.id}/attendance/live")).json()
    rows = by_login(roster)
    assert roster["connected_count"] == 1
    assert rows["student1.1"]["connected"] is True
    assert rows["student1.1"]["since"] == (session.starts_at - minutes(2)).isoformat().replace(
        "+00:00", "Z"
    )
    assert 19.5 <= rows["student1.1"]["minutes_present"] <= 21
    assert rows["student1.2"]["connected"] is False
    assert rows["student1.2"]["minutes_present"] == 10.0
    stale = rows["student1.3"]  # heartbeats stopped 15 minutes ago: a crash, not "connected"
    assert (stale["connected"], stale["minutes_present"]) == (False, 5.0)
    report = (await tutor.get(f"/api/sessions/{session.id}/attendance")).json()
    assert report["window"]["final"] is False
    assert by_login(report)["student1.1"]["last_leave"] is None
    student = await client_for("student1.1")
    assert (await student.get(f"/api/sessions/{session.id}/attendance/live")).status_code == 403


async def test_bad_query_values_are_refused(client_for: ClientFactory, services: Services) -> None:
    session = await past_session(services)
    staff = await client_for("staff.karaganda")
    base = f"/api/sessions/{session.id}/attendance"
    assert (await staff.get(base, params={"format": "pdf"})).status_code == 422
    group = session.group_id
    assert (
        await staff.get(f"/api/groups/{group}/attendance", params={"from": "2026-01-01T00:00"})
    ).status_code == 422
    assert (
        await staff.get(f"/api/groups/{group}/attendance", params={"to": "yesterday"})
    ).status_code == 422
    absences = "/api/attendance/absences"
    assert (await staff.get(absences, params={"threshold": "0"})).status_code == 422
    assert (await staff.get(absences, params={"threshold": "many"})).status_code == 422


async def test_the_reports_query_drops_only_heartbeats_inside_a_run(services: Services) -> None:
    session = await past_session(services)
    moments = [(0, "heartbeat"), (0.5, "heartbeat"), (1, "join"), (1.5, "heartbeat")]
    moments += [(2, "heartbeat"), (2.5, "heartbeat"), (3, "leave"), (3, "join"), (4, "heartbeat")]
    moments += [(4.5, "heartbeat"), (5, "heartbeat")]
    await events(services, session, "student1.1", *moments)
    who = await person_id(services, "student1.1")
    async with make_sessionmaker(services.engine)() as db:
        read = await events_of(db, [session.id])
    expected = [(session.starts_at + minutes(m), kind) for m, kind in moments]
    assert read[(session.id, who)] == thin(expected)
    assert len(thin(expected)) == 9
