"""An exam student whose connection drops and comes back within the reconnect grace: the exam
resumes, the gap is flagged, and the recording goes on in new segments that the student's exam
file joins to the old ones, with the gap in between. Real aiortc peers (max-bundle), the SFU,
the recorder and processing; SQLite only, like the other real-media recording tests
(conftest.py).

Issue 9 asks about a 30 s drop. That runs the same code as this test, only with longer
timings; to keep the test short, the gap here is a few seconds and ``ROOM_RESUME_SECONDS`` is set
above it. With production's default grace (15 s) a 30 s drop also outlasts the grace: the student
then rejoins as a new room entry, but under the same participant id, so the recording is split
and joined the same way."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from aiortc import AudioStreamTrack

from recordings.compose import HOLD
from recordings.layout import read_json
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.recordings.auto_kit import auto_env, epoch
from tests.integration.recordings.kit import (
    ColourTrack,
    Sender,
    closed_segments,
    decodes,
    recording_started,
    settled,
)
from tests.integration.server.proctoring_kit import base as api
from tests.integration.server.proctoring_kit import in_exam
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import wait_until
from tests.unit.recordings.synthetic import BLUE, GREEN, RED, frame_at, near, yuv_at

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
GAP = 5.0  # seconds the student is away: longer than HOLD, so the gap shows black
RESUME = 10  # the reconnect grace: the gap stays within it
YELLOW = (210, 16, 146)
BLACK = (16, 128, 128)
LABELS = ("microphone", "camera", "screen")
Records = list[dict[str, Any]]


@pytest.fixture
def extra_env(port: int) -> dict[str, str]:
    return {
        **auto_env(port),
        "PROCTORING_REQUIRED": "1",
        "ROOM_RESUME_SECONDS": str(RESUME),
        # A track lost while connected would be flagged after 1 s: tracks lost with the
        # connection must not be.
        "PROCTORING_TRACK_GRACE_SECONDS": "1",
        # The face and speech checks are not under test: leave the CPU to the media.
        "PROCTORING_SPEECH_SECONDS": "0",
        "PROCTORING_SAMPLE_SECONDS": "60",
    }


def tracks_of(capture: Path, publisher: str) -> dict[str, dict[str, Records]]:
    """The publisher's closed segments: label -> track id -> records, tracks in order."""
    found: dict[str, dict[str, Records]] = defaultdict(dict)
    for record in closed_segments(capture):
        if record["publisher_id"] == publisher:
            found[record["label"]].setdefault(record["track_id"], []).append(record)
    return found


async def publish(peer: Peer, camera: tuple[int, int, int], screen: tuple[int, int, int]) -> None:
    """Microphone, camera and screen in one offer, as the exam page publishes them."""
    sender = Sender(peer)
    sender.add(AudioStreamTrack(), "microphone")
    sender.add(ColourTrack(camera), "camera")
    sender.add(ColourTrack(screen), "screen")
    await sender.offer()


async def drop(peer: Peer) -> None:
    """The network goes: the WebSocket is cut without a close frame or ``leave``, and the page's
    peer connections are gone with it."""
    peer.signal.socket.transport.abort()
    await peer.close()


async def flags(proctor: httpx.AsyncClient, session: int, student: int) -> list[dict[str, Any]]:
    review = await proctor.get(f"{api(session)}/students/{student}/review")
    assert review.status_code == 200, review.text
    return [e for e in review.json()["events"] if e.get("source") == "server"]


async def test_a_dropped_connection_goes_on_recording_in_new_segments_of_the_same_file(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "exam")
    teacher = await client_for("tutor.akhmetova")
    proctor = await client_for("proctor")
    learner = await client_for("student1.1")
    student_id = await in_exam(learner, proctor, session)
    tutor = await Peer.enter(base, session, "tutor.akhmetova")  # opens the room
    student = await Peer.enter(base, session, "student1.1")
    me = student.participant_id
    try:
        listed = await recording_started(teacher, session)
        [recording] = listed["recordings"]
        root = services.settings.recordings_dir / f"session-{session}/rec-{recording['id']}"
        capture = root / "capture"

        def segments(label: str, track: int) -> int:
            pieces = list(tracks_of(capture, me).get(label, {}).values())
            return len(pieces[track]) if len(pieces) > track else 0

        await publish(student, BLUE, RED)
        await wait_until(lambda: all(segments(x, 0) >= 2 for x in LABELS), timeout=20)

        removed = len(tutor.signal.of("track_removed"))
        dropped_at = time.time()
        await drop(student)
        # The room sees the tracks go with the connection; the student is kept for the grace.
        await wait_until(lambda: len(tutor.signal.of("track_removed")) >= removed + 3, timeout=10)
        await asyncio.sleep(GAP - (time.time() - dropped_at))  # the time away is the point
        student = await Peer.enter(base, session, "student1.1")
        back_at = time.time()
        assert student.signal.of("joined")[-1]["resumed"] is True
        assert student.participant_id == me
        await publish(student, GREEN, YELLOW)
        await wait_until(lambda: all(segments(x, 1) >= 2 for x in LABELS), timeout=20)

        # The exam resumed, and the gap is flagged with its length; nothing else.
        mine = await learner.get(f"{api(session)}/me")
        assert mine.json()["state"] == "in_exam"
        await wait_until(lambda: _has(proctor, session, student_id), timeout=10)
        [flag] = await flags(proctor, session, student_id)
        assert flag["kind"] == "connection_dropped", flag
        evidence = flag["evidence"]
        assert evidence["source"] == "room" and flag["at"] == evidence["from"]
        assert abs(evidence["seconds"] - (back_at - dropped_at)) < 1.0, (evidence, back_at)
        assert abs(epoch(evidence["from"]) - dropped_at) < 1.0
        assert abs(epoch(evidence["to"]) - back_at) < 1.0
        await tutor.signal.send({"type": "moderate", "action": "end"})  # the exam is over
        await tutor.signal.closed(timeout=10)
    finally:
        for peer in (student, tutor):
            await peer.close()
    state = await settled(teacher, recording["id"], timeout=60)
    assert state["status"] == "ready", state

    # The capture: each label is two tracks, old segments before the gap and new ones after.
    records = tracks_of(capture, me)
    origin = read_json(capture / "clock.json")["origin"]
    for label in LABELS:
        assert len(records[label]) == 2, (label, list(records[label]))
        before, after = records[label].values()
        gap_start = max(r["end"] for r in before)
        gap_end = min(r["start"] for r in after)
        assert GAP - 1.5 < gap_end - gap_start < GAP + 3, (label, gap_start, gap_end)
        assert origin + gap_start < dropped_at + 1.0 and origin + gap_end > back_at - 0.5
        for record in before + after:
            video, audio = decodes(root / "archive" / record["file"])  # moved on processing
            assert (video if record["kind"] == "video" else audio) > 0, record
    checked = read_json(root / "checked.json")
    assert checked["left_out"] == []
    kept = {r["file"] for tracks in records.values() for rs in tracks.values() for r in rs}
    assert kept <= {r["file"] for r in checked["segments"]}

    # The student's one exam file covers both parts and the gap between them.
    [item] = [f for f in state["files"] if f["person_id"] == student_id]
    path = root / "published" / item["name"]
    cameras = list(records["camera"].values())
    everything = [r for tracks in records.values() for rs in tracks.values() for r in rs]
    t0 = min(r["start"] for r in everything)
    span = max(r["end"] for r in everything) - t0
    with av.open(str(path)) as container:
        assert container.duration is not None
        assert abs(container.duration / av.time_base - span) < 1.0, (container.duration, span)
    assert abs(item["duration_seconds"] - span) < 1.0, (item, span)
    gap_start = max(r["end"] for r in cameras[0])
    gap_end = min(r["start"] for r in cameras[1])
    checks = [
        ((cameras[0][0]["start"] + gap_start) / 2, BLUE, RED),  # before: camera left, screen right
        (gap_end - 0.5, BLACK, BLACK),  # away for longer than a picture is held
        ((gap_end + cameras[1][-1]["end"]) / 2, GREEN, YELLOW),  # after: the new tracks
    ]
    assert gap_end - gap_start > HOLD + 1
    for at, camera, screen in checks:
        frame = frame_at(path, at - t0)
        left, right = yuv_at(frame, 320, 180), yuv_at(frame, 960, 180)
        assert near(left, camera, slack=24), (at - t0, left, camera)
        assert near(right, screen, slack=24), (at - t0, right, screen)

    # The flag is placed on the student's file where the gap is.
    [placed] = (await flags(proctor, session, student_id))[0]["recordings"]
    assert placed["clock"] == "file" and placed["file_id"] == item["id"], placed
    assert abs(placed["offset_seconds"] - (gap_start - t0)) < 1.0, (placed, gap_start - t0)


async def _has(proctor: httpx.AsyncClient, session: int, student: int) -> bool:
    return bool(await flags(proctor, session, student))
