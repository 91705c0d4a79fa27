"""The identity check through the service: the face photo PUT over HTTP, described when the
student asks for approval, then camera samples fed to the camera watch's face check (as
``server.proctoring_sampler`` does) turning into flags on the student's review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.proctoring_identity import FacesAndIdentity
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.proctoring_kit import (
    CHECKS,
    base,
    exam_desk,
    frame,
    now_iso,
    put_photo,
)
from tests.support import wait_until
from tests.unit.server.identity_images import astronaut_frame, cameraman_frame, photo_bytes, sample

IDENTITY = {"identity_mismatch", "face_photo_no_face"}


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"PROCTORING_IDENTITY_SECONDS": "30"}


async def _in_exam(
    student: httpx.AsyncClient, proctor: httpx.AsyncClient, session: int, face: bytes
) -> int:
    assert (await put_photo(student, session, "face", face, "image/png")).status_code == 200
    document = await put_photo(student, session, "document", frame(0, ".png"), "image/png")
    assert document.status_code == 200
    submitted = await student.post(f"{base(session)}/me/submit", json=CHECKS)
    assert submitted.status_code == 200, submitted.text
    student_id: int = submitted.json()["student_id"]
    assert (await proctor.post(f"{base(session)}/students/{student_id}/approve")).is_success
    assert (await student.post(f"{base(session)}/me/start")).is_success
    return student_id


async def _identity_events(
    proctor: httpx.AsyncClient, session: int, student_id: int
) -> list[dict[str, Any]]:
    review = await proctor.get(f"{base(session)}/students/{student_id}/review")
    assert review.status_code == 200, review.text
    return [e for e in review.json()["events"] if e.get("kind") in IDENTITY]


async def _sampled(services: Services, key: tuple[int, int], image: Any, at: datetime) -> None:
    """One camera sample through the camera watch's seam, stored as the watch reports it."""
    faces = services.proctoring_evidence._faces
    assert isinstance(faces, FacesAndIdentity)
    raised = await faces.observe_gray(key, sample(image), at)
    await services.proctoring.record_server_flags(*key, raised)


@pytest.mark.usefixtures("demo")
async def test_another_face_in_the_camera_is_flagged_on_the_review(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    student_id = await _in_exam(student, proctor, session, photo_bytes("astronaut.png"))
    key = (session, student_id)
    t0 = datetime.now(UTC)
    for n in range(2):
        await _sampled(services, key, astronaut_frame(), t0 + timedelta(seconds=30 * n))
    assert await _identity_events(proctor, session, student_id) == []
    for n in range(2, 4):
        await _sampled(services, key, cameraman_frame(), t0 + timedelta(seconds=30 * n))
    events = await _identity_events(proctor, session, student_id)
    assert [(e["source"], e["kind"]) for e in events] == [("server", "identity_mismatch")]
    assert all(d > 0.6 for d in events[0]["evidence"]["distances"])
    assert len(events[0]["evidence"]["times"]) == 2


@pytest.mark.usefixtures("demo")
async def test_a_face_photo_without_a_face_is_noted_and_nothing_compared(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    student_id = await _in_exam(student, proctor, session, photo_bytes("coffee.png"))

    async def noted() -> bool:
        return len(await _identity_events(proctor, session, student_id)) == 1

    await wait_until(noted, timeout=30)
    key = (session, student_id)
    t0 = datetime.now(UTC)
    for n in range(3):
        await _sampled(services, key, cameraman_frame(), t0 + timedelta(seconds=30 * n))
    events = await _identity_events(proctor, session, student_id)
    assert [(e["kind"], e["evidence"]["faces"]) for e in events] == [("face_photo_no_face", 0)]


@pytest.mark.usefixtures("demo")
async def test_a_browser_cannot_post_identity_flags(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, _proctor = await exam_desk(services, client_for)
    assert (await student.post(f"{base(session)}/me/begin")).is_success
    for kind in sorted(IDENTITY):
        posted = await student.post(
            f"{base(session)}/me/flags", json={"kind": kind, "at": now_iso()}
        )
        assert posted.status_code == 422, posted.text
        assert "unknown flag kind" in posted.text


def _counted(check: Any) -> list[tuple[int, int]]:
    """The keys ``check.forget`` is called with from now on; the real forget still runs."""
    calls: list[tuple[int, int]] = []
    real = check.forget

    def forget(key: tuple[int, int]) -> None:
        calls.append(key)
        real(key)

    check.forget = forget
    return calls


@pytest.mark.usefixtures("demo")
async def test_each_check_forgets_a_finished_exam_once(
    services: Services, client_for: ClientFactory
) -> None:
    faces = services.proctoring_evidence._faces
    speech = services.proctoring_evidence._speech
    assert isinstance(faces, FacesAndIdentity) and speech is not None
    forgotten = {
        "faces": _counted(faces),
        "identity": _counted(faces.identity),
        "speech": _counted(speech),
    }
    session, student, proctor = await exam_desk(services, client_for)
    handing_in = await _in_exam(student, proctor, session, photo_bytes("astronaut.png"))
    other = await client_for("student1.2")
    ended = await _in_exam(other, proctor, session, photo_bytes("astronaut.png"))
    assert all(calls == [] for calls in forgotten.values())  # nothing finished yet

    assert (await student.post(f"{base(session)}/me/hand-in")).is_success
    ending = await proctor.post(f"{base(session)}/students/{ended}/end", json={"reason": "time"})
    assert ending.is_success, ending.text
    finished = [(session, handing_in), (session, ended)]
    assert forgotten == {"faces": finished, "identity": finished, "speech": finished}
