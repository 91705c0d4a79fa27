"""Exam rules in the live room: the publish gate and the exam observer.

In exam rooms a student (never the recorder) must pass the publish gate (e.g. their identity
approved, ``server.proctoring``) before publishing, and the exam observer
(``server.proctoring_evidence``) is told of their connection and of their tracks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from server.db.models import Role
from server.errors import Forbidden
from server.rooms import Participant
from server.tokens import EXAM_KINDS

if TYPE_CHECKING:
    from server.live import LiveRoom

# Asked before an exam student publishes: the reason to refuse (e.g. identity not yet approved),
# or None to let them (``server.proctoring``).
PublishGate = Callable[[int, Participant], Awaitable[str | None]]


class ExamObserver(Protocol):
    """Told of an exam student's tracks and connection (``server.proctoring_evidence``)."""

    def track_added(self, room: LiveRoom, person_id: int, track: dict[str, Any]) -> None: ...

    def track_removed(self, room: LiveRoom, person_id: int, track: dict[str, Any]) -> None: ...

    def disconnected(self, room: LiveRoom, person_id: int) -> None: ...

    def joined(self, room: LiveRoom, person_id: int) -> None: ...


class ExamWatch:
    """Applies the publish gate to one room's exam students and tells the observer of them."""

    def __init__(
        self, room: LiveRoom, gate: PublishGate | None, observer: ExamObserver | None
    ) -> None:
        self._room = room
        self._gate = gate
        self._observer = observer

    def _is_exam_student(self, participant: Participant) -> bool:
        """A student in a midterm or exam room; never the recorder."""
        return (
            self._room.rules.kind in EXAM_KINDS
            and participant.role == Role.STUDENT
            and participant.agent is None
        )

    async def check_gate(self, participant: Participant) -> None:
        """Raises ``Forbidden`` with the gate's reason if this exam student may not publish."""
        if self._gate is not None and self._is_exam_student(participant):
            refusal = await self._gate(self._room.session_id, participant)
            if refusal is not None:
                raise Forbidden(refusal)

    def _observer_of(self, who: Participant | str) -> ExamObserver | None:
        """The exam observer, if ``who`` is an exam student (not the recorder) still here."""
        rules = self._room.rules
        participant = who if isinstance(who, Participant) else rules.participants.get(who)
        if participant is None or not self._is_exam_student(participant):
            return None
        return self._observer

    def joined(self, participant: Participant) -> None:
        if (observer := self._observer_of(participant)) is not None:
            observer.joined(self._room, participant.person_id)

    def disconnected(self, participant: Participant) -> None:
        if (observer := self._observer_of(participant)) is not None:
            observer.disconnected(self._room, participant.person_id)

    def track_changed(self, publisher_id: str, track: dict[str, Any], added: bool) -> None:
        """An exam student's track came (``added``) or went."""
        observer = self._observer_of(publisher_id)
        if observer is None:
            return
        person_id = self._room.rules.participants[publisher_id].person_id
        if added:
            observer.track_added(self._room, person_id, track)
        else:
            observer.track_removed(self._room, person_id, track)
