"""Faults on the way in and on disk: loss and reordering, kill -9, a full disk, a track that
comes and goes, a processing failure and its retry."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from recordings import process
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.recordings.kit import decodes, settled
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import wait_until

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def finished(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.webm") if p.is_file())


async def _record(
    base: str, services: Services, client_for: ClientFactory, seconds_of_segments: int
) -> tuple[Peer, Peer, int, Path]:
    session = await open_now(services, "lecture")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    student = await Peer.enter(base, session, "student1.1")
    await tutor.publish()
    teacher = await client_for("tutor.akhmetova")
    started = await teacher.post(f"/api/sessions/{session}/recording/start")
    assert started.status_code == 201, started.text
    recording_id = started.json()["id"]
    root = services.settings.recordings_dir / f"session-{session}/rec-{recording_id}"
    await wait_until(lambda: len(finished(root / "capture")) >= seconds_of_segments, 25)
    return tutor, student, recording_id, root


async def test_loss_and_reordering_still_give_playable_output(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    services.recordings.recorder_args = ["--impair", "loss=0.03,reorder=0.1,seed=3"]
    tutor, student, recording_id, root = await _record(base, services, client_for, 4)
    await tutor.close()
    await student.close()
    state = await settled(await client_for("tutor.akhmetova"), recording_id)
    assert state["status"] == "ready", state
    index = (root / "capture" / "index.jsonl").read_text()
    assert '"lost": 0,' not in index or '"late": 0' not in index  # damage did happen
    video, audio = decodes(root / "published" / state["files"][0]["name"])
    assert video > 10 and audio > 10


async def test_kill_9_keeps_every_finished_segment_and_processing_covers_them(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    tutor, student, recording_id, root = await _record(base, services, client_for, 6)
    run = next(iter(services.recordings._runs.values()))
    os.kill(run.process.pid, signal.SIGKILL)
    teacher = await client_for("tutor.akhmetova")
    state = await settled(teacher, recording_id)
    try:
        assert state["status"] == "ready", state
        assert state["stop_reason"] == "recorder_killed"
        archived = list((root / "archive").iterdir())
        assert archived and all(sum(decodes(p)) > 0 for p in archived)
        assert state["duration_seconds"] >= 3  # all but the last second or so
        assert sum(decodes(root / "published" / state["files"][0]["name"])) > 0
        # The live session was untouched.
        before = student.frames["video"]
        await wait_until(lambda: student.frames["video"] > before + 5, timeout=10)
    finally:
        await tutor.close()
        await student.close()


@pytest.fixture
def extra_env(port: int) -> dict[str, str]:
    return {
        "ICE_LOOPBACK_ONLY": "1",
        "ROOM_RESUME_SECONDS": "2",
        "PORT": str(port),
        "RECORDING_SEGMENT_SECONDS": "1",
        "RECORDING_MAX_BYTES": "60000",
    }


async def test_a_full_disk_stops_the_recorder_cleanly_and_tells_the_tutor(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "lecture")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    student = await Peer.enter(base, session, "student1.1")
    teacher = await client_for("tutor.akhmetova")
    try:
        await tutor.publish()
        started = await teacher.post(f"/api/sessions/{session}/recording/start")
        recording_id = started.json()["id"]
        notice = await tutor.signal.next("recording", timeout=40)
        assert notice["reason"] == "disk_full"
        assert student.signal.of("recording") == []
        await student.signal.next("room_updated", after=1)  # recording: false for everyone
        before = student.frames["video"]
        await wait_until(lambda: student.frames["video"] > before + 5, timeout=10)
        state = await settled(teacher, recording_id)
        assert state["stop_reason"] == "disk_full"
        root = services.settings.recordings_dir / f"session-{session}/rec-{recording_id}"
        for segment in (root / "archive").iterdir():
            assert sum(decodes(segment)) > 0
    finally:
        await tutor.close()
        await student.close()


def test_a_failed_phase_shows_its_reason_and_a_retry_resumes(tmp_path: Path) -> None:
    root = tmp_path / "rec"
    (root / "capture").mkdir(parents=True)
    assert process.run(root, "lecture") == 2
    failure = (root / "failed.json").read_text()
    assert "nothing was recorded" in failure
    assert (root / "archived.json").exists() and (root / "checked.json").exists()
