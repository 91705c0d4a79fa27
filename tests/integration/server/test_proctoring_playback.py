"""Proctors play the recordings of the exams they oversee (their branch's), every student's
file there, but do not download them; other recordings stay out of their sight (404)."""

from __future__ import annotations

import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.lookup import person_id
from tests.integration.server.proctoring_kit import base, exam_desk
from tests.integration.server.signal_kit import open_now
from tests.integration.server.verdict_kit import (
    far_proctor,
    handed_in,
    ready_recording,
    session_row,
)

pytestmark = pytest.mark.usefixtures("demo")


async def test_a_proctor_plays_the_exam_recording_but_does_not_download(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    me = await handed_in(student, proctor, session)
    recording, item = await ready_recording(services, session, me)

    listed = await proctor.get(f"/api/sessions/{session}/recordings")
    assert listed.status_code == 200, listed.text
    [found] = listed.json()["recordings"]
    assert found["id"] == recording
    assert [(f["id"], f["person_id"]) for f in found["files"]] == [(item, me)]
    assert found["files"][0]["download_url"] is None
    assert (await proctor.get(f"/api/recordings/{recording}")).status_code == 200
    played = await proctor.get(f"/api/recordings/{recording}/files/{item}")
    assert played.status_code == 200 and played.headers["content-type"] == "video/webm"
    download = await proctor.get(f"/api/recordings/{recording}/files/{item}/download")
    assert download.status_code == 403
    assert (await proctor.get(f"/api/recordings/{recording}/timeline")).status_code == 200
    review = (await proctor.get(f"{base(session)}/students/{me}/review")).json()
    assert (
        review["recordings"][0]["file"]["play_url"] == f"/api/recordings/{recording}/files/{item}"
    )

    tutor = await client_for("tutor.akhmetova")
    assert (
        await tutor.get(f"/api/recordings/{recording}/files/{item}/download")
    ).status_code == 200
    other = await client_for("student1.2")
    assert (await other.get(f"/api/recordings/{recording}/files/{item}")).status_code == 404

    far = await client_for(await far_proctor(services))
    assert (await far.get(f"/api/sessions/{session}/recordings")).status_code == 404
    assert (await far.get(f"/api/recordings/{recording}")).status_code == 404
    assert (await far.get(f"/api/recordings/{recording}/files/{item}")).status_code == 404


async def test_a_proctor_does_not_see_lecture_recordings(
    services: Services, client_for: ClientFactory
) -> None:
    lecture = await open_now(services, "lecture")
    student = await person_id(services, "student1.1")
    recording, item = await ready_recording(services, lecture, student)
    course = (await session_row(services, lecture)).course_id
    proctor = await client_for("proctor")
    assert (await proctor.get(f"/api/sessions/{lecture}/recordings")).status_code == 404
    assert (await proctor.get(f"/api/recordings/{recording}")).status_code == 404
    assert (await proctor.get(f"/api/recordings/{recording}/files/{item}")).status_code == 404
    assert (await proctor.get(f"/api/courses/{course}/recordings")).status_code == 404
    tutor = await client_for("tutor.akhmetova")
    assert (await tutor.get(f"/api/recordings/{recording}/files/{item}")).status_code == 200
