"""Recording end to end: a real server on loopback, real aiortc peers, the recorder process."""

from __future__ import annotations

import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.recordings.kit import decodes, settled
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import wait_until

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


async def test_lecture_is_recorded_indicated_processed_and_played_with_range(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "lecture")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    student = await Peer.enter(base, session, "student1.1")
    teacher = await client_for("tutor.akhmetova")
    try:
        await tutor.publish()
        started = await teacher.post(f"/api/sessions/{session}/recording/start")
        assert started.status_code == 201, started.text
        recording_id = started.json()["id"]
        update = await student.signal.next("room_updated", timeout=15)
        assert update == {"type": "room_updated", "recording": True}
        joined = await student.signal.next("participant_joined")
        assert joined["participant"]["agent"] == "recorder"
        assert "publish" not in joined["participant"]["grants"]
        capture = services.settings.recordings_dir / f"session-{session}/rec-{recording_id}"
        await wait_until(lambda: len(list((capture / "capture").glob("*.webm"))) >= 4, 20)
        stopped = await teacher.post(f"/api/sessions/{session}/recording/stop")
        assert stopped.status_code == 200, stopped.text
        await student.signal.next("room_updated", after=1)
        # The live session goes on.
        before = student.frames["video"]
        await wait_until(lambda: student.frames["video"] > before + 5, timeout=10)
    finally:
        for peer in (tutor, student):
            await peer.close()
    state = await settled(teacher, recording_id)
    assert state["status"] == "ready", state
    for segment in (capture / "archive").iterdir():
        assert sum(decodes(segment)) > 0, segment
    [item] = state["files"]
    video, audio = decodes(capture / "published" / item["name"])
    assert video > 10 and audio > 10
    full = await teacher.get(item["play_url"])
    assert full.status_code == 200
    part = await teacher.get(item["play_url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
    assert part.content == full.content[100:200]
    learner = await client_for("student1.1")
    assert (await learner.get(item["play_url"])).status_code == 200
    assert (await learner.get(item["download_url"])).status_code == 403
    outsider = await client_for("student2.1")
    assert (await outsider.get(f"/api/recordings/{recording_id}")).status_code == 404
    assert (await outsider.get(item["play_url"])).status_code == 404
    listed = await learner.get(f"/api/courses/{state['course_id']}/recordings")
    assert [r["id"] for r in listed.json()["recordings"]] == [recording_id]


async def test_student_may_not_start_recording(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "lecture")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    try:
        learner = await client_for("student1.1")
        refused = await learner.post(f"/api/sessions/{session}/recording/start")
        assert refused.status_code == 403
    finally:
        await tutor.close()
