"""Live room rules: who is in the room, who may publish, who receives whom, hands and floor.

Pure state and decisions, no I/O: the live room (``server.live``) turns the differences these
rules produce into media commands and messages to clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.db.models import Role, SessionKind
from server.errors import Conflict, Forbidden, NotFound
from server.tokens import EXAM_KINDS, RECORDER_AGENT, Grant, RoomClaims

FLOOR_KINDS = frozenset({SessionKind.LECTURE, SessionKind.COLLOQUIUM})
# What a private talk (exam rooms) sends to the student: the moderator's microphone only.
TALK_LABELS = ("microphone",)
# (publisher, subscriber) → the labels of the publisher's tracks routed (None: every track)
Routes = dict[tuple[str, str], tuple[str, ...] | None]


@dataclass
class Participant:
    """One person in the room; the participant id is stable across reconnects."""

    participant_id: str
    person_id: int
    name: str
    role: Role
    grants: frozenset[Grant]
    hand_raised: bool = False
    hand_order: int | None = None
    has_floor: bool = False
    connected: bool = True
    agent: str | None = None  # a server-side client (the recorder), not a person

    @property
    def is_recorder(self) -> bool:
        return self.agent == RECORDER_AGENT

    @property
    def moderates(self) -> bool:
        return Grant.MODERATE in self.grants

    def public(self) -> dict[str, object]:
        return {
            "participant_id": self.participant_id,
            "person_id": self.person_id,
            "name": self.name,
            "role": self.role.value,
            "grants": sorted(g.value for g in self.grants),
            "hand_raised": self.hand_raised,
            "hand_order": self.hand_order,
            "has_floor": self.has_floor,
            "connected": self.connected,
        } | ({"agent": self.agent} if self.agent is not None else {})


def participant_id_of(person_id: int) -> str:
    return f"p{person_id}"


@dataclass
class RoomRules:
    """The rules of one session's room by its kind (lecture, consultation, exam, ...)."""

    session_id: int
    kind: SessionKind
    participants: dict[str, Participant] = field(default_factory=dict)
    locked: bool = False
    removed: set[int] = field(default_factory=set)
    hands_raised: int = 0
    talks: dict[str, str] = field(default_factory=dict)  # moderator → student, exam rooms

    def admit(self, claims: RoomClaims) -> Participant:
        """Adds (or returns, on a reconnect) the participant for these claims."""
        if claims.person_id in self.removed:
            raise Forbidden("you were removed from this session by the moderator")
        pid = claims.agent or participant_id_of(claims.person_id)
        existing = self.participants.get(pid)
        if existing is not None:
            return existing
        if self.locked and Grant.MODERATE not in claims.grants and claims.agent is None:
            raise Conflict("the room is locked")
        participant = Participant(
            pid, claims.person_id, claims.name, claims.role, claims.grants, agent=claims.agent
        )
        self.participants[participant.participant_id] = participant
        return participant

    @property
    def recording(self) -> bool:
        """The recorder is in the room: everyone is shown the recording indicator."""
        return any(p.is_recorder for p in self.participants.values())

    def has_people(self) -> bool:
        return any(p.agent is None for p in self.participants.values())

    def drop(self, participant_id: str) -> None:
        self.participants.pop(participant_id, None)

    def get(self, participant_id: str) -> Participant:
        found = self.participants.get(participant_id)
        if found is None:
            raise NotFound(f"participant {participant_id} is not in the room")
        return found

    def may_publish(self, participant: Participant) -> bool:
        """The publish grant, the floor, or a moderator of an exam room (whose microphone a
        private talk needs; a proctor has no publish grant)."""
        exam_moderator = self.kind in EXAM_KINDS and participant.moderates
        return Grant.PUBLISH in participant.grants or participant.has_floor or exam_moderator

    def receives(self, publisher: Participant, subscriber: Participant) -> bool:
        """Whether ``subscriber`` gets ``publisher``'s tracks under this room's rules."""
        if publisher is subscriber or not self.may_publish(publisher):
            return False
        if Grant.SUBSCRIBE not in subscriber.grants:
            return False
        if self.kind in EXAM_KINDS and publisher.role == Role.STUDENT:
            # Exam: a student's camera and screen go to proctors and the tutor only.
            return (
                Grant.PROCTOR in subscriber.grants or subscriber.moderates or subscriber.is_recorder
            )
        return True

    def hears(self, publisher: Participant, subscriber: Participant, label: str) -> bool:
        """Whether ``subscriber`` gets ``publisher``'s track labelled ``label``."""
        if self.receives(publisher, subscriber):
            return True
        return label in TALK_LABELS and self.talks_to(publisher, subscriber)

    def talks_to(self, publisher: Participant, subscriber: Participant) -> bool:
        talking = self.talks.get(publisher.participant_id) == subscriber.participant_id
        return talking and self.may_publish(publisher)

    def routes(self) -> Routes:
        """Every (publisher, subscriber) pair that the media layer should route, with the labels
        routed: everything the room rules give, plus a moderator's microphone in a private talk."""
        everyone = list(self.participants.values())
        routes: Routes = {
            (pub.participant_id, sub.participant_id): None
            for pub in everyone
            for sub in everyone
            if self.receives(pub, sub)
        }
        for moderator_id, student_id in self.talks.items():
            moderator, student = self.participants[moderator_id], self.participants[student_id]
            if self.talks_to(moderator, student):
                routes.setdefault((moderator_id, student_id), TALK_LABELS)
        return routes

    def talk_target(self, actor: Participant, person_id: int | None) -> Participant | None:
        """Checks a ``talk_to``: the student it names (None: stop talking)."""
        if self.kind not in EXAM_KINDS or not actor.moderates:
            raise Forbidden(
                "only a moderator (the tutor or a proctor) of an exam may talk privately"
            )
        if person_id is None:
            return None
        student = self.participants.get(participant_id_of(person_id))
        if student is None or student.role != Role.STUDENT or student.agent is not None:
            raise NotFound(f"no student {person_id} is in the room")
        return student

    def raise_hand(self, participant: Participant, raised: bool) -> None:
        """Hands keep the order they went up in; raising again keeps the first place."""
        if raised and not participant.hand_raised:
            self.hands_raised += 1
            participant.hand_order = self.hands_raised
        if not raised:
            participant.hand_order = None
        participant.hand_raised = raised

    def hands(self) -> list[str]:
        raised = [p for p in self.participants.values() if p.hand_order is not None]
        return [p.participant_id for p in sorted(raised, key=lambda p: p.hand_order or 0)]

    def check_floor(self, actor: Participant, target: Participant) -> None:
        self.require_moderator(actor)
        if self.kind not in FLOOR_KINDS:
            raise Conflict("floor control is for lectures and colloquia only")
        if target.role != Role.STUDENT:
            raise Conflict("the floor is given to students")

    def set_floor(self, actor: Participant, target: Participant, granted: bool) -> None:
        self.check_floor(actor, target)
        target.has_floor = granted
        if granted:
            self.raise_hand(target, False)

    def require_moderator(self, actor: Participant) -> None:
        if not actor.moderates:
            raise Forbidden("only a moderator (the tutor or a proctor) may do this")

    def sees_roster(self, participant: Participant) -> bool:
        """Exam students see nobody but themselves and the moderators they may write to."""
        return not (participant.role == Role.STUDENT and self.kind in EXAM_KINDS)

    def snapshot(self, viewer: Participant) -> dict[str, object]:
        shown = [
            p
            for p in self.participants.values()
            if self.sees_roster(viewer) or p is viewer or p.moderates
        ]
        return {
            "session_id": self.session_id,
            "kind": self.kind.value,
            "locked": self.locked,
            "recording": self.recording,
            "hands": self.hands() if self.sees_roster(viewer) else [],
            "participants": [p.public() for p in shown],
        }
