"""Room rules for exam rooms: who receives whom, and the private talk's routes."""

from __future__ import annotations

from typing import Any

import pytest

from media import messages as m
from server.db.models import Role, SessionKind
from server.errors import Forbidden, NotFound
from server.live_tracks import RoomTracks
from server.rooms import RoomRules
from server.tokens import RECORDER_AGENT, Grant, RoomClaims, grants_for


def claims(person_id: int, role: Role, kind: SessionKind, agent: str | None = None) -> RoomClaims:
    grants = frozenset({Grant.SUBSCRIBE}) if agent else grants_for(role, kind, False)
    return RoomClaims(person_id, 1, role, f"n{person_id}", grants, 0, "x", agent)


def exam() -> RoomRules:
    rules = RoomRules(1, SessionKind.EXAM)
    rules.admit(claims(5, Role.PROCTOR, SessionKind.EXAM))
    rules.admit(claims(9, Role.STUDENT, SessionKind.EXAM))
    rules.admit(claims(10, Role.STUDENT, SessionKind.EXAM))
    rules.admit(claims(0, Role.STAFF, SessionKind.EXAM, agent=RECORDER_AGENT))
    return rules


def test_outside_a_talk_students_receive_nothing_and_the_proctor_everyone() -> None:
    rules = exam()
    assert rules.routes() == {
        ("p9", "p5"): None,
        ("p10", "p5"): None,
        ("p9", "recorder"): None,
        ("p10", "recorder"): None,
        ("p5", "recorder"): None,  # a proctor may publish in an exam: their microphone
    }


def test_a_talk_adds_the_moderators_microphone_for_that_student_only() -> None:
    rules = exam()
    proctor = rules.participants["p5"]
    assert rules.talk_target(proctor, 9) is rules.participants["p9"]
    rules.talks["p5"] = "p9"
    routes = rules.routes()
    assert routes[("p5", "p9")] == ("microphone",)
    assert ("p5", "p10") not in routes and ("p10", "p9") not in routes
    student = rules.participants["p9"]
    assert rules.hears(proctor, student, "microphone")
    assert not rules.hears(proctor, student, "camera")
    assert not rules.hears(proctor, rules.participants["p10"], "microphone")


@pytest.mark.parametrize("target", [5, 0, 77])
def test_only_students_present_can_be_talked_to(target: int) -> None:
    rules = exam()
    with pytest.raises(NotFound, match=f"^no student {target} is in the room$"):
        rules.talk_target(rules.participants["p5"], target)


def test_students_and_other_rooms_cannot_talk_privately() -> None:
    rules = exam()
    with pytest.raises(Forbidden, match="of an exam may talk privately"):
        rules.talk_target(rules.participants["p9"], 10)
    lecture = RoomRules(2, SessionKind.LECTURE)
    tutor = lecture.admit(claims(3, Role.TUTOR, SessionKind.LECTURE))
    tutor.grants = grants_for(Role.TUTOR, SessionKind.LECTURE, True)
    with pytest.raises(Forbidden):
        lecture.talk_target(tutor, None)


def test_held_back_tracks_are_told_to_the_subscriber() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    tracks = RoomTracks(1, exam(), lambda pid, msg: sent.append((pid, msg)), lambda *_: None)
    tracks.on_event(m.SubscriptionLimited("p5", ("t70", "t71"), 64))
    assert sent == [
        ("p5", {"type": "subscription_limited", "limit": 64, "track_ids": ["t70", "t71"]})
    ]
