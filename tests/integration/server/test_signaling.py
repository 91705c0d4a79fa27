"""The room WebSocket end to end: a real server on loopback, real aiortc peers, real tokens."""

from __future__ import annotations

import json

import pytest

from server.services import Services
from tests.integration.server.signal_kit import Peer, SignalClient, open_now, peers_in, room_token
from tests.support import wait_until

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"ICE_LOOPBACK_ONLY": "1", "ROOM_RESUME_SECONDS": "3"}


async def test_lecture_tutor_publishes_and_students_decode_audio_and_video(
    base: str, services: Services
) -> None:
    session = await open_now(services, "lecture")
    logins = [f"student1.{i}" for i in (1, 2, 3)]
    async with peers_in(base, session, "tutor.akhmetova", *logins) as (tutor, *students):
        await tutor.publish()
        for student in students:
            await wait_until(
                lambda s=student: s.frames["video"] >= 3 and s.frames["audio"] >= 3, timeout=15
            )
        added = await students[0].signal.next("track_added")
        assert added["track"]["publisher_id"] == tutor.participant_id
        roster = students[0].signal.of("joined")[0]["room"]["participants"]
        assert tutor.participant_id in {p["participant_id"] for p in roster}


async def test_student_may_not_publish_in_a_lecture_and_stays_connected(
    base: str, services: Services
) -> None:
    session = await open_now(services, "lecture")
    student = await Peer.enter(base, session, "student1.1")
    try:
        student.publish_pc = None
        await student.signal.send({"type": "publish", "sdp": "v=0\r\n", "ref": "p1"})
        error = await student.signal.next("error")
        assert error == {
            "type": "error",
            "code": "forbidden",
            "message": "you may not publish in this room (ask the tutor for the floor)",
            "ref": "p1",
        }
        await student.signal.send({"type": "moderate", "action": "lock"})
        assert (await student.signal.next("error", after=1))["code"] == "forbidden"
        await student.signal.send({"type": "ping", "ref": "still-here"})
        assert (await student.signal.next("pong"))["ref"] == "still-here"
    finally:
        await student.close()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "mute", "track_id": "t1"}', "bad_message"),
        ('{"type": "hand", "raised": true, "extra": 1}', "bad_message"),
        ('{"type": "join", "token": "again"}', "bad_request"),
        ('{"type": "subscription_answer", "sdp": "v=0"}', "media_state"),
        ('{"type": "unpublish", "track_id": "t999"}', "not_found"),
    ],
)
async def test_bad_messages_get_an_error_and_the_connection_survives(
    base: str, services: Services, raw: str, code: str
) -> None:
    session = await open_now(services, "consultation")
    client = await SignalClient.connect(base, session)
    try:
        await client.join(await room_token(base, "student1.1", session))
        await client.send_raw(raw)
        error = await client.next("error")
        assert error["code"] == code, error
        await client.send({"type": "ping"})
        await client.next("pong")
    finally:
        await client.close()


async def test_malformed_sdp_is_refused_for_the_offender_alone(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    async with peers_in(base, session, "tutor.akhmetova", "student1.1") as (tutor, student):
        hundreds = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + (
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n" * 300
        )
        for sdp in ("this is not sdp", hundreds):
            before = len(student.signal.of("error"))
            await student.signal.send({"type": "publish", "sdp": sdp[:60000]})
            error = await student.signal.next("error", after=before)
            assert error["code"] == "media_sdp", error
        await tutor.publish()
        await wait_until(lambda: student.frames["video"] >= 2, timeout=15)


async def test_oversized_message_closes_with_1009(base: str, services: Services) -> None:
    session = await open_now(services, "consultation")
    client = await SignalClient.connect(base, session)
    await client.join(await room_token(base, "student1.1", session))
    await client.send({"type": "publish", "sdp": "x" * (70 * 1024)})
    assert await client.closed() == 1009


async def test_a_subscription_answer_may_be_larger_than_other_messages(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    client = await SignalClient.connect(base, session)
    await client.join(await room_token(base, "student1.1", session))
    await client.send({"type": "subscription_answer", "sdp": "v=0\r\n" + "a=x\r\n" * 20_000})
    error = await client.next("error")
    assert (error["code"], error["message"]) == (
        "media_state",
        "no subscription offer is outstanding",
    )
    await client.send({"type": "subscription_answer", "sdp": "x" * (300 * 1024)})
    assert await client.closed() == 1009


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ({"type": "ping"}, 4400),
        ({"type": "join", "token": "forged.token.value"}, 4401),
    ],
)
async def test_join_must_come_first_with_a_valid_token(
    base: str, services: Services, first: dict[str, str], code: int
) -> None:
    session = await open_now(services, "consultation")
    client = await SignalClient.connect(base, session)
    await client.send(first)
    assert await client.closed() == code


async def test_a_token_for_another_room_is_refused(base: str, services: Services) -> None:
    lecture = await open_now(services, "lecture")
    consultation = await open_now(services, "consultation")
    token = await room_token(base, "student1.1", lecture)
    client = await SignalClient.connect(base, consultation)
    await client.send({"type": "join", "token": token})
    assert await client.closed() == 4401


async def test_flooding_gets_rate_limited(base: str, services: Services) -> None:
    session = await open_now(services, "consultation")
    client = await SignalClient.connect(base, session)
    try:
        await client.join(await room_token(base, "student1.1", session))
        for _ in range(80):
            await client.send({"type": "ping"})
        await wait_until(lambda: any(e["code"] == "rate_limited" for e in client.of("error")))
    finally:
        await client.close()


async def test_colloquium_floor_passes_and_revoking_stops_the_students_tracks(
    base: str, services: Services
) -> None:
    session = await open_now(services, "colloquium")
    async with peers_in(base, session, "tutor.akhmetova", "student1.1", "student1.2") as (
        tutor,
        speaker,
        listener,
    ):
        await speaker.signal.send({"type": "hand", "raised": True})
        update_seen = await tutor.signal.next("participant_updated")
        assert update_seen["participant"]["hand_raised"] is True
        await tutor.signal.send(
            {"type": "floor", "participant_id": speaker.participant_id, "granted": True}
        )
        assert (await speaker.signal.next("floor"))["granted"] is True
        await speaker.publish()
        await wait_until(lambda: listener.frames["video"] >= 2, timeout=15)
        await tutor.signal.send(
            {"type": "floor", "participant_id": speaker.participant_id, "granted": False}
        )
        assert (await speaker.signal.next("floor", after=1))["granted"] is False
        removed = await listener.signal.next("track_removed", timeout=2)
        assert removed["track_id"]
        await speaker.signal.send({"type": "publish", "sdp": "v=0\r\n"})
        assert (await speaker.signal.next("error"))["code"] == "forbidden"


async def test_exam_students_reach_the_proctor_and_never_each_other(
    base: str, services: Services
) -> None:
    session = await open_now(services, "exam")
    async with peers_in(base, session, "proctor", "student1.1", "student1.2") as (
        proctor,
        first,
        second,
    ):
        await first.publish()
        await second.publish()
        await wait_until(lambda: proctor.frames["video"] >= 4, timeout=15)
        assert first.signal.of("subscription_offer") == []
        assert second.signal.of("subscription_offer") == []
        assert all(
            t["track"]["publisher_id"] == second.participant_id
            for t in second.signal.of("track_added")
        )
        assert second.signal.of("participant_joined") == []
        snapshot = second.signal.of("joined")[0]
        assert all(t["publisher_id"] == second.participant_id for t in snapshot["tracks"])
        assert first.frames["video"] == 0 and second.frames["video"] == 0


async def test_moderation_lock_remove_and_end(base: str, services: Services) -> None:
    session = await open_now(services, "consultation")
    tutor = await SignalClient.connect(base, session)
    student = await SignalClient.connect(base, session)
    await tutor.join(await room_token(base, "tutor.akhmetova", session))
    joined = await student.join(await room_token(base, "student1.1", session))
    await tutor.send({"type": "moderate", "action": "lock"})
    await student.next("room_updated")
    late = await SignalClient.connect(base, session)
    await late.send({"type": "join", "token": await room_token(base, "student1.2", session)})
    assert await late.closed() == 4409
    await tutor.send(
        {"type": "moderate", "action": "remove", "participant_id": joined["participant_id"]}
    )
    assert await student.closed() == 4003
    again = await SignalClient.connect(base, session)
    await again.send({"type": "join", "token": await room_token(base, "student1.1", session)})
    assert await again.closed() == 4403
    await tutor.send({"type": "moderate", "action": "end"})
    assert await tutor.closed() == 4001
    ended = await services.schedule.find(session)
    assert ended.status == "ended"


async def test_reconnecting_within_the_grace_resumes_the_same_participant(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    tutor = await SignalClient.connect(base, session)
    await tutor.join(await room_token(base, "tutor.akhmetova", session))
    first = await SignalClient.connect(base, session)
    joined = await first.join(await room_token(base, "student1.1", session))
    await first.socket.close()
    dropped = await tutor.next("participant_updated")
    assert dropped["participant"]["connected"] is False
    back = await SignalClient.connect(base, session)
    rejoined = await back.join(await room_token(base, "student1.1", session))
    assert rejoined["resumed"] is True
    assert rejoined["participant_id"] == joined["participant_id"]
    ids = [p["participant_id"] for p in rejoined["room"]["participants"]]
    assert len(ids) == len(set(ids)) == 2
    assert tutor.of("participant_left") == []
    await back.socket.close()
    left = await tutor.next("participant_left", timeout=10)
    assert left["participant_id"] == joined["participant_id"]
    await tutor.close()


async def test_a_second_connection_replaces_the_first(base: str, services: Services) -> None:
    session = await open_now(services, "consultation")
    first = await SignalClient.connect(base, session)
    await first.join(await room_token(base, "student1.1", session))
    second = await SignalClient.connect(base, session)
    joined = await second.join(await room_token(base, "student1.1", session))
    assert joined["resumed"] is True
    assert await first.closed() == 4002
    await second.send({"type": "leave"})
    assert await second.closed() == 1000
    assert json.dumps(joined)


async def test_a_subscription_offer_missed_while_disconnected_comes_again_on_resume(
    base: str, services: Services
) -> None:
    session = await open_now(services, "consultation")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    away = await SignalClient.connect(base, session)
    await away.join(await room_token(base, "student1.1", session))
    await away.socket.close()
    await tutor.signal.next("participant_updated")
    try:
        await tutor.publish()
        back = await SignalClient.connect(base, session)
        rejoined = await back.join(await room_token(base, "student1.1", session))
        assert rejoined["resumed"] is True
        offer = await back.next("subscription_offer")
        assert {slot["publisher_id"] for slot in offer["slots"]} == {tutor.participant_id}
        await back.close()
    finally:
        await tutor.close()


async def test_exam_students_hear_of_a_later_proctor_but_not_of_other_students(
    base: str, services: Services
) -> None:
    session = await open_now(services, "exam")
    first = await SignalClient.connect(base, session)
    await first.join(await room_token(base, "student1.1", session))
    other = await SignalClient.connect(base, session)
    await other.join(await room_token(base, "student1.2", session))
    proctor = await SignalClient.connect(base, session)
    joined = await proctor.join(await room_token(base, "proctor", session))
    try:
        heard = await first.next("participant_joined")
        assert heard["participant"]["participant_id"] == joined["participant_id"]
        assert [m["participant"]["role"] for m in first.of("participant_joined")] == ["proctor"]
        await proctor.close()
        gone = await first.next("participant_left")
        assert gone["participant_id"] == joined["participant_id"]
    finally:
        await first.close()
        await other.close()


async def test_a_bad_renegotiation_is_refused_and_the_tracks_keep_flowing(
    base: str, services: Services
) -> None:
    session = await open_now(services, "lecture")
    async with peers_in(base, session, "tutor.akhmetova", "student1.1") as (tutor, student):
        await tutor.publish()
        await wait_until(lambda: student.frames["video"] >= 3, timeout=15)
        assert tutor.publish_pc is not None
        good = tutor.publish_pc.localDescription.sdp
        spoilt = "".join(
            line for line in good.splitlines(keepends=True) if not line.startswith("a=ice-pwd")
        )
        await tutor.signal.send({"type": "publish", "sdp": spoilt, "ref": "again"})
        error = await tutor.signal.next("error")
        assert error == {
            "type": "error",
            "code": "media_sdp",
            "message": "media section 0 (audio) has no a=ice-ufrag and a=ice-pwd",
            "command": "PublishOffer",
        }
        frames = student.frames["video"]
        await wait_until(lambda: student.frames["video"] >= frames + 10, timeout=15)
        assert student.signal.of("track_removed") == []
        assert tutor.signal.of("track_removed") == [] and tutor.signal.of("peer_closed") == []
