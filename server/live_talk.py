"""Private talk in exam rooms: a moderator's microphone to one student (docs/protocol.md).

The rules (``RoomRules.talks``, ``routes``) decide the routing; this module keeps the two sides
told: the student hears ``private_talk`` (and of the microphone track, before the offer that
carries it), the moderator hears ``talk_to`` when the student leaves.
"""

from __future__ import annotations

from typing import Any

from server.live_tracks import RoomTracks, Send
from server.rooms import Participant, RoomRules


def private_talk(moderator: Participant, active: bool) -> dict[str, Any]:
    return {"type": "private_talk", "from": moderator.public(), "active": active}


class PrivateTalks:
    """Starts and ends private talks and tells both sides; the caller syncs the routes."""

    def __init__(self, rules: RoomRules, tracks: RoomTracks, send: Send) -> None:
        self._rules = rules
        self._tracks = tracks
        self._send = send

    def talk_to(self, actor: Participant, person_id: int | None) -> bool:
        """Points ``actor``'s private talk at a student (None: ends it); True if it changed.
        Raises ``Forbidden`` / ``NotFound`` (see ``RoomRules.talk_target``)."""
        student = self._rules.talk_target(actor, person_id)
        before = self._rules.talks.get(actor.participant_id)
        after = student.participant_id if student is not None else None
        if before == after:
            return False
        if before is not None:
            self._end(actor.participant_id, before, leaver_id=None)
        if student is not None:
            self._rules.talks[actor.participant_id] = student.participant_id
            self._started(actor, student)
        return True

    def leaving(self, participant_id: str) -> None:
        """Ends the talks of someone who leaves (before the routes are synced)."""
        for moderator_id, student_id in list(self._rules.talks.items()):
            if participant_id in (moderator_id, student_id):
                self._end(moderator_id, student_id, leaver_id=participant_id)

    def repeat_to(self, participant: Participant) -> None:
        """A student back after a drop hears again who is talking to them."""
        for moderator_id, student_id in self._rules.talks.items():
            if student_id == participant.participant_id:
                moderator = self._rules.participants[moderator_id]
                self._send(student_id, private_talk(moderator, True))

    def _started(self, moderator: Participant, student: Participant) -> None:
        # track_added before the subscription offer that carries the microphone
        for track in self._tracks.of(moderator.participant_id, "microphone"):
            self._send(student.participant_id, {"type": "track_added", "track": track})
        self._send(student.participant_id, private_talk(moderator, True))

    def _end(self, moderator_id: str, student_id: str, leaver_id: str | None) -> None:
        self._rules.talks.pop(moderator_id, None)
        moderator = self._rules.participants[moderator_id]
        if leaver_id == student_id:
            self._send(moderator_id, {"type": "talk_to", "person_id": None})
            return
        # track_removed before the offer that drops the microphone
        for track in self._tracks.of(moderator_id, "microphone"):
            self._send(student_id, {"type": "track_removed", "track_id": track["track_id"]})
        self._send(student_id, private_talk(moderator, False))
