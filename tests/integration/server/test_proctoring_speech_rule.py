"""An exam that allows speech (issue 9): the tutor or staff set it over HTTP, the check-in and the
roster say so, and the server's speech check neither decodes nor flags that exam's microphones;
forbidding it again mid-exam holds for the audio that follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import numpy
import pytest

from server.proctoring_evidence import ExamEvidence, evidence_settings
from server.proctoring_faces import CheckinKey, FaceCheck, RaisedFlag
from server.proctoring_voice import SpeechCheck
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.proctoring_kit import base, exam, exam_desk, in_exam
from tests.integration.server.signal_kit import open_now
from tests.support import wait_until
from tests.unit.server.test_proctoring_voice import opus, silence, voiced

pytestmark = pytest.mark.usefixtures("demo")

MICROPHONE = {
    "track_id": "mic-1",
    "label": "microphone",
    "kind": "audio",
    "mime_type": "audio/opus",
}


async def _patch(client: httpx.AsyncClient, session: int, body: Any) -> httpx.Response:
    return await client.patch(base(session), json=body)


async def test_the_tutor_and_staff_set_the_rule_and_the_pages_see_it(
    services: Services, client_for: ClientFactory
) -> None:
    session = await exam(services)
    student, tutor = await client_for("student1.1"), await client_for("tutor.akhmetova")
    assert (await student.get(base(session))).json() == {
        "session_id": session,
        "speech_allowed": False,
    }
    mine = (await student.get(f"{base(session)}/me")).json()
    assert (mine["speech_allowed"], mine["privacy"]["speech_monitored"]) == (False, True)

    allowed = await _patch(tutor, session, {"speech_allowed": True})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"session_id": session, "speech_allowed": True}
    mine = (await student.get(f"{base(session)}/me")).json()
    assert (mine["speech_allowed"], mine["privacy"]["speech_monitored"]) == (True, False)
    roster = await (await client_for("proctor")).get(f"{base(session)}/students")
    assert roster.status_code == 200 and roster.json()["speech_allowed"] is True

    staff = await client_for("staff.karaganda")
    forbidden = await _patch(staff, session, {"speech_allowed": False})
    assert forbidden.status_code == 200 and forbidden.json()["speech_allowed"] is False
    assert (await tutor.get(base(session))).json()["speech_allowed"] is False


async def test_who_may_not_set_the_rule_and_bad_bodies(
    services: Services, client_for: ClientFactory
) -> None:
    session = await exam(services)
    refusals = [
        ("student1.1", 403),  # sees the exam, may not set its rules
        ("proctor", 403),  # oversees the exam, but the rule is the tutor's and staff's
        ("tutor.serikbayev", 404),  # another course's tutor: the exam is not theirs to see
        ("staff.astana", 404),  # another branch's staff
        ("student2.1", 404),  # another group's student
    ]
    for login, status in refusals:
        refused = await _patch(await client_for(login), session, {"speech_allowed": True})
        assert refused.status_code == status, (login, refused.text)

    tutor = await client_for("tutor.akhmetova")
    for body in ({}, {"speech_allowed": "yes"}, {"speech_allowed": 1}, {"speech_allowed": None}):
        assert (await _patch(tutor, session, body)).status_code == 422, body
    extra = await _patch(tutor, session, {"speech_allowed": True, "recording": False})
    assert extra.status_code == 422
    headers = {"Content-Type": "application/json"}
    broken = await tutor.patch(base(session), content=b"{not json", headers=headers)
    assert broken.status_code == 400
    assert (await tutor.get(base(session))).json()["speech_allowed"] is False

    lecture = await open_now(services, "lecture")  # proctoring is for midterms and exams only
    assert (await _patch(tutor, lecture, {"speech_allowed": True})).status_code == 409
    await services.schedule.mark_live(session)
    await services.schedule.mark_ended(session)
    ended = await _patch(tutor, session, {"speech_allowed": True})
    assert ended.status_code == 409 and "ended" in ended.text


class CountedSpeech(SpeechCheck):
    """The real check, counting the payloads it was given (each one decoded)."""

    def __init__(self) -> None:
        super().__init__(threshold=2, window=4)
        self.payloads = 0

    def observe(
        self, key: CheckinKey, payloads: list[tuple[int, bytes]], seen_at: datetime
    ) -> list[RaisedFlag]:
        self.payloads += len(payloads)
        return super().observe(key, payloads, seen_at)


@dataclass
class TapMedia:
    """The room's media as the microphone watch sees it: the tap it puts on the track."""

    taps: dict[str, Any] = field(default_factory=dict)

    def tap(self, track_id: str, tap: Any) -> object:
        self.taps[track_id] = tap
        return self  # the track stays: the watch keeps listening


@dataclass
class TapRoom:
    session_id: int
    ended: bool = False
    retired: bool = False
    media: TapMedia = field(default_factory=TapMedia)


async def _speech_flags(proctor: httpx.AsyncClient, session: int, student: int) -> list[Any]:
    review = await proctor.get(f"{base(session)}/students/{student}/review")
    assert review.status_code == 200, review.text
    return [e for e in review.json()["events"] if e.get("kind") == "speech_detected"]


async def test_speech_is_neither_decoded_nor_flagged_while_the_exam_allows_it(
    services: Services, client_for: ClientFactory
) -> None:
    session, student, proctor = await exam_desk(services, client_for)
    student_id = await in_exam(student, proctor, session)
    tutor = await client_for("tutor.akhmetova")
    assert (await _patch(tutor, session, {"speech_allowed": True})).status_code == 200

    speech = CountedSpeech()
    evidence = ExamEvidence(
        services.proctoring, FaceCheck(), speech, evidence_settings(1, 10, 0.05)
    )
    room: Any = TapRoom(session)
    try:
        evidence.track_added(room, student_id, MICROPHONE)
        await wait_until(lambda: room.media.taps.get("mic-1") is not None)
        tap = room.media.taps["mic-1"]

        talk = opus(numpy.concatenate([silence(0.5), voiced(4)]))
        tap.queue.extend(talk)  # four seconds of talk: well past the threshold
        await wait_until(lambda: not tap.queue, timeout=5)  # drained and dropped
        assert await _speech_flags(proctor, session, student_id) == []

        # Forbidden again mid-exam: the talk that follows is decoded and flagged.
        assert (await _patch(tutor, session, {"speech_allowed": False})).status_code == 200
        later = opus(numpy.concatenate([silence(0.5), voiced(4)]), first_ts=talk[-1][0] + 48000)
        tap.queue.extend(later)

        async def flagged() -> bool:
            return len(await _speech_flags(proctor, session, student_id)) == 1

        await wait_until(flagged, timeout=10, interval=0.2)
        assert speech.payloads == len(later)  # the allowed talk never reached the decoder

        # Allowed again: what was heard is forgotten and nothing more goes to the check.
        assert (await _patch(tutor, session, {"speech_allowed": True})).status_code == 200
        assert (session, student_id) not in speech._voices
        assert not evidence._listening((session, student_id))
    finally:
        await evidence.close()
