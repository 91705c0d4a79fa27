"""The database side of recordings on SQLite and PostgreSQL, without media: hands persisted for
the timeline (raised, lowered, given the floor, gone with their owner), a failed processing shown
and retried through the API, lists and access.

The media-heavy tests (real peers and the recorder) run on SQLite only; everything they store
goes through the same service calls exercised here on both databases.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db.engine import make_sessionmaker
from server.db.models import (
    RecordingFile,
    RecordingStatus,
    Role,
    RoomEvent,
    utcnow,
)
from server.rooms import Participant
from server.services import Services
from server.tokens import AGENT_PERSON_ID
from tests.conftest import ClientFactory
from tests.integration.recordings.auto_kit import epoch
from tests.integration.recordings.kit import recording_row, settled
from tests.integration.server.signal_kit import SignalClient, open_now, room_token
from tests.unit.recordings.synthetic import Piece, write_capture

pytestmark = [pytest.mark.usefixtures("demo")]


async def _enter(base: str, session_id: int, login: str) -> SignalClient:
    client = await SignalClient.connect(base, session_id)
    await client.join(await room_token(base, login, session_id))
    return client


async def _recorded_lecture(services: Services) -> tuple[int, int]:
    """A lecture open now with a finished recording that began 30 s ago."""
    session = await open_now(services, "lecture")
    recording_id = await recording_row(
        services,
        session,
        status=RecordingStatus.READY.value,
        media_started_at=utcnow() - timedelta(seconds=30),
    )
    return session, recording_id


async def _hands(client: httpx.AsyncClient, recording_id: int) -> list[dict[str, Any]]:
    response = await client.get(f"/api/recordings/{recording_id}/timeline")
    assert response.status_code == 200, response.text
    return [e for e in response.json()["events"] if e["kind"] == "hand"]


async def test_hands_are_kept_per_session_and_shown_on_the_timeline(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session, recording_id = await _recorded_lecture(services)
    tutor = await _enter(base, session, "tutor.akhmetova")
    first = await _enter(base, session, "student1.1")
    second = await _enter(base, session, "student1.2")
    try:
        await first.send({"type": "hand", "raised": True})
        await tutor.next("participant_updated")
        await first.send({"type": "hand", "raised": True})  # already up: no second event
        await second.send({"type": "chat", "text": "Можно вопрос?", "nonce": "n-1"})
        await second.send({"type": "hand", "raised": True})
        await tutor.next("participant_updated", after=2)
        target = first.of("joined")[0]["participant_id"]
        await tutor.send({"type": "lower_hand", "participant_id": target})
        await tutor.next("participant_updated", after=3)
        await second.send({"type": "hand", "raised": False})
        await tutor.next("participant_updated", after=4)
    finally:
        for client in (tutor, first, second):
            await client.close()
    await services.room_events.flush()

    teacher = await client_for("tutor.akhmetova")
    response = await teacher.get(f"/api/recordings/{recording_id}/timeline")
    events = response.json()["events"]
    hands = [e["hand"] for e in events if e["kind"] == "hand"]
    names = [(h["name"], h["raised"], h["by_name"]) for h in hands]
    first_name, second_name = names[0][0], names[1][0]
    assert first_name != second_name
    assert names == [
        (first_name, True, None),
        (second_name, True, None),
        (first_name, False, names[2][2]),  # lowered by the tutor
        (second_name, False, None),
    ]
    assert names[2][2] is not None
    offsets = [e["offset_seconds"] for e in events]
    assert all(o is not None and 29 <= o <= 90 for o in offsets), offsets
    assert offsets == sorted(offsets)  # chat and hands in one order along the recording
    assert [e["kind"] for e in events].count("chat") == 1

    learner = await client_for("student1.1")
    assert len(await _hands(learner, recording_id)) == 4  # a lecture shows everyone's hands
    outsider = await client_for("student2.1")
    assert (await outsider.get(f"/api/recordings/{recording_id}/timeline")).status_code == 404


async def test_giving_the_floor_stores_the_hand_lowered_at_the_grant(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session, recording_id = await _recorded_lecture(services)
    tutor = await _enter(base, session, "tutor.akhmetova")
    student = await _enter(base, session, "student1.1")
    try:
        await student.send({"type": "hand", "raised": True})
        await tutor.next("participant_updated")
        target = student.of("joined")[0]["participant_id"]
        before = time.time()
        await tutor.send({"type": "floor", "participant_id": target, "granted": True})
        assert (await student.next("floor"))["granted"] is True
        after = time.time()
        update = await tutor.next("participant_updated", after=1)
        assert update["participant"]["hand_raised"] is False
        # Taking the floor back leaves the hand down: nothing more to store.
        await tutor.send({"type": "floor", "participant_id": target, "granted": False})
        assert (await student.next("floor", after=1))["granted"] is False
    finally:
        for client in (tutor, student):
            await client.close()
    await services.room_events.flush()

    hands = await _hands(await client_for("tutor.akhmetova"), recording_id)
    assert [(h["hand"]["raised"], h["hand"]["by_name"]) for h in hands] == [
        (True, None),
        (False, "Айгуль Ахметова"),  # the tutor lowered it by giving the floor
    ]
    lowered = hands[1]
    assert before <= epoch(lowered["hand"]["at"]) <= after
    assert 29 <= lowered["offset_seconds"] <= 90  # on the recording's clock


async def test_a_hand_still_up_when_its_owner_leaves_is_stored_as_lowered_then(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "lecture")
    recording_id = await recording_row(
        services, session, status=RecordingStatus.READY.value, media_started_at=utcnow()
    )
    tutor = await _enter(base, session, "tutor.akhmetova")
    removed = await _enter(base, session, "student1.1")
    leaver = await _enter(base, session, "student1.2")
    clients = [tutor, removed, leaver]
    try:
        for client in (removed, leaver):
            await client.send({"type": "hand", "raised": True})
        await tutor.next("participant_updated", after=1)
        target = removed.of("joined")[0]["participant_id"]
        await tutor.send({"type": "moderate", "action": "remove", "participant_id": target})
        assert await removed.closed() == 4003
        await leaver.send({"type": "leave"})
        await tutor.next("participant_left", after=1)
        # Back in the room the hand starts down; raised again, it is still up when the session
        # ends, which lowers it too.
        returned = await _enter(base, session, "student1.2")
        clients.append(returned)
        await returned.send({"type": "hand", "raised": True})
        await tutor.next("participant_updated", after=2)
        await tutor.send({"type": "moderate", "action": "end"})
        assert await returned.closed() == 4001
    finally:
        for client in clients:
            await client.close()
    await services.room_events.flush()

    hands = await _hands(await client_for("tutor.akhmetova"), recording_id)
    removed_id = int(target[1:])
    leaver_id = int(leaver.of("joined")[0]["participant_id"][1:])
    got = [(h["hand"]["person_id"], h["hand"]["raised"], h["hand"]["by_name"]) for h in hands]
    assert sorted(got[:2]) == sorted([(removed_id, True, None), (leaver_id, True, None)])
    assert got[2:] == [
        (removed_id, False, "Айгуль Ахметова"),  # removed by the tutor
        (leaver_id, False, None),  # left
        (leaver_id, True, None),
        (leaver_id, False, None),  # the session ended
    ]


async def test_in_an_exam_a_student_sees_only_their_own_hands(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "exam")
    recording_id = await recording_row(
        services, session, status=RecordingStatus.READY.value, media_started_at=utcnow()
    )
    tutor = await _enter(base, session, "tutor.akhmetova")
    first = await _enter(base, session, "student1.1")
    second = await _enter(base, session, "student1.2")
    try:
        # RECORDING_AUTO is off in test runs by default: no recorder was started.
        assert services.recordings.recording_now(session) is False
        await first.send({"type": "hand", "raised": True})
        await second.send({"type": "hand", "raised": True})
        await tutor.next("participant_updated", after=1)
    finally:
        for client in (tutor, first, second):
            await client.close()
    await services.room_events.flush()
    assert len(await _hands(await client_for("tutor.akhmetova"), recording_id)) == 2
    own = await _hands(await client_for("student1.1"), recording_id)
    mine = int(first.of("joined")[0]["participant_id"][1:])
    assert [h["hand"]["person_id"] for h in own] == [mine]


async def test_hands_of_the_recorder_agent_and_repeats_are_not_stored(services: Services) -> None:
    robot = Participant("recorder", AGENT_PERSON_ID, "Recorder", Role.STUDENT, frozenset())
    services.room_events.hand(1, robot, True, robot)
    await services.room_events.flush()
    async with make_sessionmaker(services.engine)() as db:
        assert await db.scalar(select(func.count()).select_from(RoomEvent)) == 0


async def test_a_failed_processing_shows_its_reason_and_the_retry_endpoint_finishes_it(
    services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "lecture")
    recording_id = await recording_row(
        services, session, status=RecordingStatus.FAILED.value, failure="an earlier fault"
    )
    root = services.settings.recordings_dir / f"session-{session}/rec-{recording_id}"
    origin = time.time() - 60
    write_capture(
        root / "capture",
        [Piece("p2", "camera", "t1", 0.5, 2.0), Piece("p2", "microphone", "t2", 0.5, 2.0)],
        origin=origin,
    )
    (root / "published").write_text("a file where the published folder must go")
    teacher = await client_for("tutor.akhmetova")
    first = await teacher.post(f"/api/recordings/{recording_id}/retry")
    assert first.status_code == 200, first.text
    state = await settled(teacher, recording_id)
    assert state["status"] == "failed", state  # this time for real: publishing is blocked
    assert state["failure"].startswith("publish:"), state["failure"]
    assert state["files"] == []

    learner = await client_for("student1.1")
    refused = await learner.post(f"/api/recordings/{recording_id}/retry")
    assert refused.status_code == 403, refused.text
    outsider = await client_for("student2.1")
    assert (await outsider.post(f"/api/recordings/{recording_id}/retry")).status_code == 404
    missing = await teacher.post("/api/recordings/999999/retry")
    assert missing.status_code == 404

    (root / "published").unlink()  # the operator fixed the disk
    retried = await teacher.post(f"/api/recordings/{recording_id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "processing"
    assert retried.json()["failure"] is None
    state = await settled(teacher, recording_id)
    assert state["status"] == "ready", state
    assert state["progress"] == 100 and state["phase"] == "publish"
    assert state["failure"] is None
    [item] = state["files"]
    assert item["name"] == "lecture.mp4" and item["size_bytes"] > 0
    assert abs(state["duration_seconds"] - 2.0) < 0.3
    assert abs(epoch(state["media_started_at"]) - (origin + 0.5)) < 0.01
    assert (await teacher.get(item["play_url"])).status_code == 200
    again = await teacher.post(f"/api/recordings/{recording_id}/retry")
    assert again.status_code == 409
    assert "ready, not failed" in again.json()["error"]["message"]
    listed = await learner.get(f"/api/courses/{state['course_id']}/recordings")
    assert [r["id"] for r in listed.json()["recordings"]] == [recording_id]


async def test_retention_deletes_old_finished_recordings_and_keeps_the_rest(
    services: Services, client_for: ClientFactory
) -> None:
    session = await open_now(services, "lecture")
    long_ago = utcnow() - timedelta(days=services.settings.recording_retention_days + 1)
    old_ready = await recording_row(
        services, session, status=RecordingStatus.READY.value, started_at=long_ago
    )
    old_failed = await recording_row(
        services, session, status=RecordingStatus.FAILED.value, started_at=long_ago
    )
    old_busy = await recording_row(
        services, session, status=RecordingStatus.PROCESSING.value, started_at=long_ago
    )
    recent = await recording_row(services, session, status=RecordingStatus.READY.value)
    folders = {
        r: services.settings.recordings_dir / f"session-{session}/rec-{r}"
        for r in (old_ready, old_failed, old_busy, recent)
    }
    for folder in folders.values():
        (folder / "published").mkdir(parents=True)
        (folder / "published" / "lecture.mp4").write_bytes(b"not really a video")
    async with make_sessionmaker(services.engine)() as db:
        db.add(RecordingFile(recording_id=old_ready, name="lecture.mp4", role="lecture"))
        await db.commit()

    assert await services.recordings.sweep() == 2
    assert not folders[old_ready].exists() and not folders[old_failed].exists()
    assert folders[old_busy].exists() and folders[recent].exists()
    teacher = await client_for("tutor.akhmetova")
    assert (await teacher.get(f"/api/recordings/{old_ready}")).status_code == 404
    listed = (await teacher.get(f"/api/sessions/{session}/recordings")).json()["recordings"]
    assert sorted(r["id"] for r in listed) == sorted([old_busy, recent])
    async with make_sessionmaker(services.engine)() as db:
        left = await db.scalar(select(func.count()).select_from(RecordingFile))
        assert left == 0
    assert await services.recordings.sweep() == 0  # nothing left to do
