"""Proctoring over HTTP: check-in, identity decision, exam states, flags, incidents, review."""

from __future__ import annotations

import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.proctoring_kit import (
    CHECKS,
    base,
    checked_in,
    exam,
    exam_desk,
    frame,
    now_iso,
    put_photo,
)

pytestmark = pytest.mark.usefixtures("demo")


async def test_check_in_approve_exam_flags_incident_and_review(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    mine = (await student.get(f"{base(session)}/me")).json()
    assert mine["state"] == "not_started"
    waiting = await checked_in(student, session)
    student_id = waiting["student_id"]
    assert waiting["media_checks"]["displaySurface"] == "monitor"

    queue = (await proctor.get("/api/proctoring/queue")).json()["students"]
    assert [(q["session_id"], q["student_id"]) for q in queue] == [(session, student_id)]
    face = await proctor.get(queue[0]["face_photo_url"])
    assert face.status_code == 200 and face.headers["content-type"] == "image/jpeg"
    document = await proctor.get(queue[0]["document_photo_url"])
    assert document.headers["content-type"] == "image/png"
    assert (await student.post(f"{base(session)}/me/start")).status_code == 409

    approved = await proctor.post(f"{base(session)}/students/{student_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    assert (await proctor.get("/api/proctoring/queue")).json()["students"] == []
    started = await student.post(f"{base(session)}/me/start")
    assert started.json()["state"] == "in_exam"

    hidden = await student.post(
        f"{base(session)}/me/flags",
        json={"kind": "tab_hidden", "at": now_iso(), "detail": "hidden for 4 s"},
    )
    assert hidden.status_code == 201, hidden.text
    assert hidden.json()["source"] == "browser"
    note = await proctor.post(
        f"{base(session)}/students/{student_id}/incidents", json={"text": "looked away twice"}
    )
    assert note.status_code == 201, note.text
    paused = await proctor.post(
        f"{base(session)}/students/{student_id}/pause", json={"reason": "a second voice"}
    )
    assert paused.json()["state"] == "paused"
    assert (await student.post(f"{base(session)}/me/hand-in")).status_code == 409
    resumed = await proctor.post(f"{base(session)}/students/{student_id}/resume")
    assert resumed.json()["state"] == "in_exam"
    handed = await student.post(f"{base(session)}/me/hand-in")
    assert handed.json()["state"] == "handed_in"
    late = await student.post(
        f"{base(session)}/me/flags", json={"kind": "tab_hidden", "at": now_iso()}
    )
    assert late.status_code == 409

    review = await proctor.get(f"{base(session)}/students/{student_id}/review")
    assert review.status_code == 200, review.text
    body = review.json()
    assert body["decision"]["state"] == "handed_in"
    assert body["decision"]["decided_by_name"] == "Гульнара Прокторова"
    assert body["checkin"]["face_photo_url"].endswith(f"/students/{student_id}/photos/face")
    kinds = [(e["type"], e["kind"]) for e in body["events"]]
    assert kinds == [
        ("note", "approved"),
        ("flag", "tab_hidden"),
        ("note", "incident"),
        ("note", "paused"),
        ("note", "resumed"),
    ]
    assert body["recordings"] == [] and body["events"][1]["recordings"] == []
    roster = (await proctor.get(f"{base(session)}/students")).json()["students"]
    assert {s["state"] for s in roster} == {"handed_in", "not_started"}


async def test_bad_check_in_input_is_refused(services: Services, client_for: ClientFactory) -> None:
    session = await exam(services)
    student = await client_for("student1.1")
    text = b"\xff\xd8\xff but not really a jpeg at all"
    assert (await put_photo(student, session, "face", text)).status_code == 422
    png_as_jpeg = frame(1, ".png")
    assert (await put_photo(student, session, "face", png_as_jpeg)).status_code == 422
    assert (await put_photo(student, session, "face", frame(1), "image/gif")).status_code == 422
    huge = b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024)
    assert (await put_photo(student, session, "face", huge)).status_code == 413
    assert (await put_photo(student, session, "passport", frame(1))).status_code == 404
    no_photos = await student.post(f"{base(session)}/me/submit", json=CHECKS)
    assert no_photos.status_code == 409
    assert (await put_photo(student, session, "face", frame(1))).status_code == 200
    assert (await put_photo(student, session, "document", frame(0))).status_code == 200
    window = await student.post(
        f"{base(session)}/me/submit", json=CHECKS | {"displaySurface": "window"}
    )
    assert window.status_code == 422 and "entire screen" in window.text
    no_camera = await student.post(f"{base(session)}/me/submit", json=CHECKS | {"camera": False})
    assert no_camera.status_code == 422
    partial = {"camera": True, "microphone": True}
    assert (await student.post(f"{base(session)}/me/submit", json=partial)).status_code == 422
    stringly = CHECKS | {"screen": "true"}
    assert (await student.post(f"{base(session)}/me/submit", json=stringly)).status_code == 422
    assert (await student.get(f"{base(session)}/me")).json()["state"] == "checking_in"

    for bad in (
        {"kind": "tab_hidden", "at": now_iso(3600)},
        {"kind": "tab_hidden", "at": now_iso(-7200)},
        {"kind": "went_to_lunch", "at": now_iso()},
        {"kind": "no_face", "at": now_iso()},
        {"kind": "tab_hidden", "at": "2026-01-01T10:00:00"},
    ):
        refused = await student.post(f"{base(session)}/me/flags", json=bad)
        assert refused.status_code == 422, (bad, refused.text)


async def test_scope_students_proctors_tutors_and_staff(
    services: Services, client_for: ClientFactory
) -> None:
    session = await exam(services)
    student = await client_for("student1.1")
    waiting = await checked_in(student, session)
    me = waiting["student_id"]
    other = await client_for("student1.2")
    other_id = (await other.get(f"{base(session)}/me")).json()["student_id"]
    student_url = f"{base(session)}/students/{me}"

    assert (await student.post(f"{student_url}/approve")).status_code == 403
    assert (await student.get(f"{student_url}/review")).status_code == 403
    assert (await student.get("/api/proctoring/queue")).status_code == 403
    assert (await student.get(f"{base(session)}/students")).status_code == 403
    other_url = f"{base(session)}/students/{other_id}"
    assert (await student.get(f"{other_url}/review")).status_code == 404
    assert (await student.get(f"{other_url}/photos/face")).status_code == 404
    assert (await other.get(f"{student_url}/photos/face")).status_code == 404
    assert (await (await client_for("student2.1")).get(f"{base(session)}/me")).status_code == 404

    for outsider in ("tutor.serikbayev", "staff.astana"):
        client = await client_for(outsider)
        assert (await client.get(f"{student_url}/review")).status_code == 404, outsider
        assert (await client.post(f"{student_url}/approve")).status_code == 404, outsider
        assert (await client.get("/api/proctoring/queue")).json()["students"] == []
    tutor = await client_for("tutor.akhmetova")
    assert len((await tutor.get("/api/proctoring/queue")).json()["students"]) == 1
    assert (await tutor.get(f"{student_url}/photos/document")).status_code == 200
    assert (await tutor.post(f"{base(session)}/me/begin")).status_code == 403
    staff = await client_for("staff.karaganda")
    assert (await staff.get(f"{student_url}/review")).status_code == 200
    lecture_id = await _lecture(services)
    assert (await student.get(f"{base(lecture_id)}/me")).status_code == 409


async def _lecture(services: Services) -> int:
    from tests.integration.server.signal_kit import open_now

    return await open_now(services, "lecture")


async def test_rejection_needs_a_reason_and_the_student_may_try_again(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    me = (await checked_in(student, session))["student_id"]
    url = f"{base(session)}/students/{me}"
    assert (await proctor.post(f"{url}/reject")).status_code == 422
    assert (await proctor.post(f"{url}/reject", json={"reason": ""})).status_code == 422
    rejected = await proctor.post(f"{url}/reject", json={"reason": "the document is unreadable"})
    assert rejected.json()["state"] == "rejected"
    mine = (await student.get(f"{base(session)}/me")).json()
    assert mine["rejection_reason"] == "the document is unreadable"
    assert (await student.post(f"{base(session)}/me/start")).status_code == 409
    assert (await proctor.post(f"{url}/approve")).status_code == 409
    again = await student.post(f"{base(session)}/me/submit", json=CHECKS)
    assert again.json()["state"] == "awaiting_identity"
    assert (await proctor.post(f"{url}/approve")).json()["state"] == "approved"
    ended = await proctor.post(f"{url}/end", json={"reason": "left the room"})
    assert ended.json()["state"] == "ended_by_proctor"
    assert ended.json()["end_reason"] == "left the room"
    assert (await proctor.post(f"{url}/frobnicate")).status_code == 404


async def test_flags_are_rate_limited(services: Services, client_for: ClientFactory) -> None:
    session = await exam(services)
    student = await client_for("student1.1")
    assert (await student.post(f"{base(session)}/me/begin")).status_code == 200
    codes = []
    for _ in range(35):
        sent = await student.post(
            f"{base(session)}/me/flags", json={"kind": "window_blur", "at": now_iso()}
        )
        codes.append(sent.status_code)
    assert codes[:30] == [201] * 30
    assert 429 in codes[30:]
