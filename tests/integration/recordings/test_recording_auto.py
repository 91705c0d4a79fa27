"""Midterms and exams record themselves from the first second to the last (RECORDING_AUTO, off
in test runs unless a test turns it on, as here), one file per student. Real aiortc students,
the SFU, the recorder and processing; SQLite only (test_recording_db.py covers both databases).
"""

from __future__ import annotations

import time

import av
import pytest
from aiortc import AudioStreamTrack

from recordings.layout import read_json
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.recordings.auto_kit import auto_env, epoch
from tests.integration.recordings.kit import (
    ColourTrack,
    Sender,
    closed_segments,
    recording_started,
    settled,
)
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import wait_until
from tests.unit.recordings.synthetic import BLUE, GREEN, frame_at, near, yuv_at

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
BLACK = (16, 128, 128)


@pytest.fixture
def extra_env(port: int) -> dict[str, str]:
    return auto_env(port)


async def test_an_exam_is_recorded_from_its_first_second_into_one_file_per_student(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "exam")
    teacher = await client_for("tutor.akhmetova")
    before_open = time.time()
    tutor = await Peer.enter(base, session, "tutor.akhmetova")  # opens the room
    students = [await Peer.enter(base, session, login) for login in ("student1.1", "student1.2")]
    try:
        listed = await recording_started(teacher, session)  # nobody pressed anything
        [recording] = listed["recordings"]
        assert recording["automatic"] is True and recording["status"] == "recording"
        assert before_open - 1 <= epoch(recording["started_at"]) <= time.time()
        # The recorder is in before anyone publishes: everyone is told.
        update = await tutor.signal.next("room_updated", timeout=20)
        assert update["recording"] is True
        published_at = {}
        for student, colour in zip(students, (BLUE, GREEN), strict=True):
            sender = Sender(student)
            sender.add(AudioStreamTrack(), "microphone")
            sender.add(ColourTrack(colour), "camera")
            await sender.offer()
            published_at[student.participant_id] = time.time()
        root = services.settings.recordings_dir / f"session-{session}/rec-{recording['id']}"
        capture = root / "capture"

        def cameras() -> set[str]:
            done = closed_segments(capture)
            return {r["publisher_id"] for r in done if r["label"] == "camera"}

        await wait_until(lambda: cameras() == set(published_at), timeout=30)
        manual = await teacher.post(f"/api/sessions/{session}/recording/start")
        assert manual.status_code == 409  # already recording
    finally:
        for peer in (*students, tutor):
            await peer.close()
    # Everyone left: the room closes and so does the recording.
    state = await settled(teacher, recording["id"], timeout=60)
    assert state["status"] == "ready", state
    assert state["stop_reason"] == "room_closed"

    # From the first second: each student's first camera frame is in the recording.
    origin = read_json(capture / "clock.json")["origin"]
    for participant, at in published_at.items():
        first = min(
            r["start"]
            for r in closed_segments(capture)
            if r["publisher_id"] == participant and r["label"] == "camera"
        )
        assert origin + first - at < 3.0, (participant, origin + first - at)

    files = {f["person_id"]: f for f in state["files"]}
    ids = {int(s.participant_id[1:]): s for s in students}
    assert set(files) == set(ids)
    for person_id, colour in zip(ids, (BLUE, GREEN), strict=True):
        item = files[person_id]
        assert item["role"] == "student" and item["name"] == f"student-p{person_id}.mp4"
        path = root / "published" / item["name"]
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            assert (video.codec_context.width, video.codec_context.height) == (1280, 360)
            assert len(container.streams.audio) == 1
        frame = frame_at(path, item["duration_seconds"] / 2)
        assert near(yuv_at(frame, 320, 180), colour, slack=24)  # the camera: left half
        assert near(yuv_at(frame, 960, 180), BLACK, slack=8)  # no screen shared: right half

    # A student sees only their own file.
    learner = await client_for("student1.1")
    own = (await learner.get(f"/api/recordings/{recording['id']}")).json()["files"]
    assert [f["person_id"] for f in own] == [int(students[0].participant_id[1:])]
