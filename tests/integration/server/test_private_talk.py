"""Private talk in an exam room: a moderator's microphone to one student only."""

from __future__ import annotations

from typing import Any

import pytest

from server.services import Services
from tests.integration.server.signal_kit import Peer, open_now, peers_in
from tests.support import wait_until

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {"ICE_LOOPBACK_ONLY": "1", "ROOM_RESUME_SECONDS": "3"}


async def own_track(peer: Peer) -> dict[str, Any]:
    def mine() -> list[dict[str, Any]]:
        added = [t["track"] for t in peer.signal.of("track_added")]
        return [t for t in added if t["publisher_id"] == peer.participant_id]

    await wait_until(lambda: bool(mine()), timeout=10)
    return mine()[0]


def person(peer: Peer) -> int:
    return int(peer.participant_id.removeprefix("p"))


async def test_a_student_hears_the_proctor_only_while_talked_to(
    base: str, services: Services
) -> None:
    session = await open_now(services, "exam")
    async with peers_in(
        base, session, "proctor", "student1.1", "student1.2", "tutor.akhmetova"
    ) as (proctor, first, second, tutor):
        room = services.rooms.get(session)
        assert room is not None
        await first.publish()
        await second.publish()
        await proctor.publish(video=False)  # a proctor may publish a microphone in an exam
        mic = await own_track(proctor)
        assert mic["label"] == "microphone"
        await wait_until(lambda: proctor.frames["video"] >= 4, timeout=15)
        # outside a private talk no student hears the proctor (nor each other)
        assert room.media.router.slots(first.participant_id) == {}
        assert first.signal.of("subscription_offer") == []

        await proctor.signal.send({"type": "talk_to", "person_id": person(first), "ref": "t1"})
        confirmed = await proctor.signal.next("talk_to")
        assert confirmed == {"type": "talk_to", "person_id": person(first), "ref": "t1"}
        talk = await first.signal.next("private_talk")
        assert talk["active"] is True
        assert talk["from"]["participant_id"] == proctor.participant_id
        added = [t["track"] for t in first.signal.of("track_added")]
        assert mic in added
        await wait_until(lambda: first.frames["audio"] >= 5, timeout=15)
        assert first.frames["video"] == 0  # the microphone only
        assert room.media.router.slots(first.participant_id) == {mic["track_id"]: mic["track_id"]}

        await proctor.signal.send({"type": "talk_to", "person_id": None})
        assert (await proctor.signal.next("talk_to", after=1))["person_id"] is None
        ended = await first.signal.next("private_talk", after=1)
        assert ended["active"] is False
        assert {"type": "track_removed", "track_id": mic["track_id"]} in first.signal.received
        await wait_until(lambda: room.media.router.slots(first.participant_id) == {})
        offer = await first.signal.next("subscription_offer", after=1)
        assert offer["slots"] == []

        # the other student never heard anything of it
        assert second.signal.of("private_talk") == []
        assert second.signal.of("subscription_offer") == []
        assert all(
            t["track"]["publisher_id"] == second.participant_id
            for t in second.signal.of("track_added")
        )
        assert second.frames["audio"] == 0
        # the proctor's microphone reached the tutor (another moderator) all along
        assert room.rules.participants[tutor.participant_id].moderates
        assert mic["track_id"] in room.media.router.slots(tutor.participant_id).values()


async def test_switching_students_and_leaving_end_the_talk(base: str, services: Services) -> None:
    session = await open_now(services, "exam")
    async with peers_in(base, session, "proctor", "student1.1", "student1.2") as (
        proctor,
        first,
        second,
    ):
        await proctor.publish(video=False)
        await proctor.signal.send({"type": "talk_to", "person_id": person(first)})
        assert (await first.signal.next("private_talk"))["active"] is True
        await wait_until(lambda: first.frames["audio"] >= 3, timeout=15)

        await proctor.signal.send({"type": "talk_to", "person_id": person(second)})
        assert (await first.signal.next("private_talk", after=1))["active"] is False
        assert (await second.signal.next("private_talk"))["active"] is True
        await wait_until(lambda: second.frames["audio"] >= 3, timeout=15)

        # the student leaves: the proctor hears that the talk is over
        await second.signal.send({"type": "leave"})
        await second.signal.closed()
        stopped = await proctor.signal.next("talk_to", after=2)
        assert stopped == {"type": "talk_to", "person_id": None}

        # the proctor leaves while talking: the student hears that it stopped
        await proctor.signal.send({"type": "talk_to", "person_id": person(first)})
        assert (await first.signal.next("private_talk", after=2))["active"] is True
        await proctor.signal.send({"type": "leave"})
        gone = await first.signal.next("private_talk", after=3)
        assert gone["active"] is False and gone["from"]["participant_id"] == proctor.participant_id


async def test_talk_to_is_refused_for_students_outside_exams_and_for_non_students(
    base: str, services: Services
) -> None:
    session = await open_now(services, "exam")
    async with peers_in(base, session, "proctor", "student1.1") as (proctor, student):
        await student.signal.send({"type": "talk_to", "person_id": person(proctor), "ref": "s"})
        error = await student.signal.next("error")
        assert error == {
            "type": "error",
            "code": "forbidden",
            "message": "only a moderator (the tutor or a proctor) of an exam may talk privately",
            "ref": "s",
        }
        for target, ref in ((person(proctor), "self"), (999999, "absent")):
            await proctor.signal.send({"type": "talk_to", "person_id": target, "ref": ref})
        errors = [await proctor.signal.next("error", after=i) for i in (0, 1)]
        assert [(e["code"], e["ref"]) for e in errors] == [
            ("not_found", "self"),
            ("not_found", "absent"),
        ]
        assert errors[1]["message"] == "no student 999999 is in the room"
        await proctor.signal.send({"type": "talk_to", "person_id": "p5", "ref": "bad"})
        assert (await proctor.signal.next("error", after=2))["code"] == "bad_message"
        await proctor.signal.send({"type": "talk_to", "ref": "missing"})
        assert (await proctor.signal.next("error", after=3))["code"] == "bad_message"
        assert student.signal.of("private_talk") == []

    lecture = await open_now(services, "lecture")
    async with peers_in(base, lecture, "tutor.akhmetova", "student1.1") as (tutor, listener):
        await tutor.signal.send({"type": "talk_to", "person_id": person(listener)})
        assert (await tutor.signal.next("error"))["code"] == "forbidden"
