"""Proctoring faults over HTTP: a window shared instead of the screen, forged flag events, another
student's exam state or review, a proctor of another branch."""

from __future__ import annotations

import httpx
import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.proctoring_kit import (
    CHECKS,
    base,
    checked_in,
    exam,
    exam_desk,
    in_exam,
    now_iso,
)
from tests.integration.server.verdict_kit import far_proctor

pytestmark = pytest.mark.usefixtures("demo")


async def _in_exam(
    services: Services, client_for: ClientFactory
) -> tuple[int, int, httpx.AsyncClient]:
    session, student, proctor = await exam_desk(services, client_for)
    return session, await in_exam(student, proctor, session), student


async def test_a_window_instead_of_the_screen(
    services: Services, client_for: ClientFactory
) -> None:
    session = await exam(services)
    student = await client_for("student1.1")
    await checked_in(student, session)
    proctor = await client_for("proctor")
    me = (await student.get(f"{base(session)}/me")).json()["student_id"]
    await proctor.post(f"{base(session)}/students/{me}/reject", json={"reason": "retake"})
    for surface in ("window", "browser", ""):
        refused = await student.post(
            f"{base(session)}/me/submit", json=CHECKS | {"displaySurface": surface}
        )
        assert refused.status_code == 422 and "entire screen" in refused.text, surface
    assert (await student.get(f"{base(session)}/me")).json()["state"] == "rejected"

    # Switched to a window during the exam: the page reports it, the proctor sees it.
    await student.post(f"{base(session)}/me/submit", json=CHECKS)
    await proctor.post(f"{base(session)}/students/{me}/approve")
    await student.post(f"{base(session)}/me/start")
    detail = "displaySurface window"
    switched = await student.post(
        f"{base(session)}/me/flags",
        json={"kind": "screen_share_not_monitor", "at": now_iso(), "detail": detail},
    )
    assert switched.status_code == 201, switched.text
    events = (await proctor.get(f"{base(session)}/students/{me}/review")).json()["events"]
    flags = [(e["source"], e["kind"], e["detail"]) for e in events if e.get("source")]
    assert flags == [("browser", "screen_share_not_monitor", detail)]


async def test_forged_flag_events_are_refused(
    services: Services, client_for: ClientFactory
) -> None:
    session, me, student = await _in_exam(services, client_for)
    other = await client_for("student1.2")
    other_id = (await other.get(f"{base(session)}/me")).json()["student_id"]
    url = f"{base(session)}/me/flags"
    forged = [
        ({"kind": "no_face", "at": now_iso()}, "unknown flag kind"),  # the server's own kinds
        ({"kind": "multiple_faces", "at": now_iso()}, "unknown flag kind"),
        ({"kind": "speech_detected", "at": now_iso()}, "unknown flag kind"),
        ({"kind": "tab_hidden", "at": now_iso(60)}, "future"),
        ({"kind": "tab_hidden", "at": now_iso(), "student_id": other_id}, "student_id"),
        ({"kind": "tab_hidden", "at": now_iso(), "source": "server"}, "source"),
        ({"kind": "tab_hidden", "at": now_iso(), "evidence": {"faces": [0]}}, "evidence"),
    ]
    for body, why in forged:
        refused = await student.post(url, json=body)
        assert refused.status_code == 422 and why in refused.text, (body, refused.text)
    # Another student's flags cannot be written: the only flag route is about oneself.
    other_url = f"{base(session)}/students/{other_id}/flags"
    written = await student.post(other_url, json={"kind": "tab_hidden", "at": now_iso()})
    assert written.status_code in (403, 404, 405)
    proctor = await client_for("proctor")
    for student_id in (me, other_id):
        review = await proctor.get(f"{base(session)}/students/{student_id}/review")
        assert [e for e in review.json()["events"] if e.get("source")] == []


async def test_another_students_exam_state_and_review_are_not_found(
    services: Services, client_for: ClientFactory
) -> None:
    session, me, _student = await _in_exam(services, client_for)
    other = await client_for("student1.2")
    mine = f"{base(session)}/students/{me}"
    for path in ("review", "photos/face", "photos/document"):
        assert (await other.get(f"{mine}/{path}")).status_code == 404, path
    assert (await other.post(f"{mine}/pause")).status_code == 404
    assert (await other.post(f"{mine}/incidents", json={"text": "x"})).status_code == 404
    assert (await other.get(f"{base(session)}/me")).json()["state"] == "not_started"
    outsider = await client_for("student2.1")  # another group: the exam itself is not theirs
    assert (await outsider.get(f"{base(session)}/me")).status_code == 404
    assert (await outsider.get(f"{mine}/review")).status_code == 404
    assert (await outsider.post(f"/api/sessions/{session}/join")).status_code == 404


async def test_a_proctor_of_another_branch_sees_nothing(
    services: Services, client_for: ClientFactory
) -> None:
    session, me, _student = await _in_exam(services, client_for)
    stranger = await client_for(await far_proctor(services))
    url = f"{base(session)}/students/{me}"
    assert (await stranger.get(f"{url}/review")).status_code == 404
    assert (await stranger.get(f"{url}/photos/face")).status_code == 404
    assert (await stranger.post(f"{url}/pause")).status_code == 404
    assert (await stranger.post(f"{url}/end", json={"reason": "x"})).status_code == 404
    assert (await stranger.get(f"{base(session)}/students")).status_code == 404
    assert (await stranger.get("/api/proctoring/queue")).json()["students"] == []
    assert (await stranger.post(f"/api/sessions/{session}/join")).status_code == 404
    home_proctor = await client_for("proctor")
    assert (await home_proctor.get(f"{url}/review")).status_code == 200
