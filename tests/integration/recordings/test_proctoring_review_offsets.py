"""A review places each flag on the student's own exam file: every student's file starts at that
student's first media, so a student who starts publishing later than another has flags measured
from their own start, not from the recording's. Real aiortc students, the SFU, the recorder and
processing; SQLite only, like the other real-media recording tests (conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiortc import AudioStreamTrack

from recordings.layout import read_index
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.recordings.auto_kit import auto_env, epoch
from tests.integration.recordings.kit import ColourTrack, Sender, recording_started, settled
from tests.integration.server.proctoring_kit import base as api
from tests.integration.server.proctoring_kit import in_exam
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import wait_until
from tests.unit.recordings.synthetic import BLUE, GREEN

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
STAGGER = 3.0  # the second student starts publishing this much later


@pytest.fixture
def extra_env(port: int) -> dict[str, str]:
    return auto_env(port)


def _camera_opened(capture: Path, participant: str) -> bool:
    return any(
        r.get("event") == "open" and r["publisher_id"] == participant and r["label"] == "camera"
        for r in read_index(capture / "index.jsonl")
    )


async def _flag(student: httpx.AsyncClient, session: int) -> None:
    at = datetime.now(UTC).isoformat()
    body = {"kind": "tab_hidden", "at": at}
    assert (await student.post(f"{api(session)}/me/flags", json=body)).status_code == 201


async def _placement(proctor: httpx.AsyncClient, session: int, student: int) -> dict[str, Any]:
    """The student's tab_hidden flag placed on their file, with the flag's time."""
    review = await proctor.get(f"{api(session)}/students/{student}/review")
    assert review.status_code == 200, review.text
    [event] = [e for e in review.json()["events"] if e.get("kind") == "tab_hidden"]
    [placed] = event["recordings"]
    return {**placed, "at": epoch(event["at"]), "review": review.json()}


async def test_flags_are_placed_on_each_students_own_file(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "exam")
    teacher = await client_for("tutor.akhmetova")
    proctor = await client_for("proctor")
    clients = [await client_for(login) for login in ("student1.1", "student1.2")]
    ids = [await in_exam(c, proctor, session) for c in clients]
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    peers = [await Peer.enter(base, session, login) for login in ("student1.1", "student1.2")]
    try:
        listed = await recording_started(teacher, session)
        [recording] = listed["recordings"]
        root = services.settings.recordings_dir / f"session-{session}/rec-{recording['id']}"
        capture = root / "capture"
        for number, (peer, client, colour) in enumerate(
            zip(peers, clients, (BLUE, GREEN), strict=True)
        ):
            if number:
                await asyncio.sleep(STAGGER)  # the point of the test: a later first frame
            sender = Sender(peer)
            sender.add(AudioStreamTrack(), "microphone")
            sender.add(ColourTrack(colour), "camera")
            await sender.offer()
            await wait_until(lambda p=peer: _camera_opened(capture, p.participant_id), timeout=20)
            await _flag(client, session)  # just after the student's first camera frame
        # While recording, the placement already uses the capture manifest.
        live = await _placement(proctor, session, ids[1])
        assert live["clock"] == "file" and live["file_id"] is None
        assert 0 <= live["offset_seconds"] < 1.5, live
        await wait_until(lambda: _closed_cameras(capture) == 2, timeout=30)
    finally:
        for peer in (*peers, tutor):
            await peer.close()
    state = await settled(teacher, recording["id"], timeout=60)
    assert state["status"] == "ready", state

    media_started = epoch(state["media_started_at"])
    starts = []
    for student in ids:
        placed = await _placement(proctor, session, student)
        [listing] = placed["review"]["recordings"]
        assert placed["clock"] == "file" and placed["file_id"] == listing["file"]["id"]
        # Flagged right after the first camera frame: near the start of the student's file.
        assert 0 <= placed["offset_seconds"] < 1.5, placed
        started = epoch(listing["file"]["started_at"])
        assert abs(placed["at"] - started - placed["offset_seconds"]) < 0.002
        starts.append((started, placed["at"] - media_started))
    # The second student's file starts later than the recording's media, by about the stagger:
    # on the recording's clock their flag would be seconds off.
    (first_start, _), (second_start, second_on_recording_clock) = starts
    assert second_start - first_start > STAGGER - 0.5
    assert second_on_recording_clock > STAGGER - 0.5
    assert abs(first_start - media_started) < 0.01


def _closed_cameras(capture: Path) -> int:
    closed = [r for r in read_index(capture / "index.jsonl") if r.get("event") == "close"]
    return len({r["publisher_id"] for r in closed if r["label"] == "camera"})
