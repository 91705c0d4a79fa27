"""Who hears of a proctored exam's changes: the student and the room's moderators over the
live room's signalling, and in-process listeners of exam states (server-side evidence)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.db.models import CheckinState
from server.registry import RoomRegistry

StateListener = Callable[[int, int, CheckinState], None]  # (session id, student id, new state)


class ExamNotifier:
    """Tells the student, the overseers and the state listeners; one per proctoring service."""

    def __init__(self, rooms: RoomRegistry) -> None:
        self._rooms = rooms
        # Told of every exam state change (server-side evidence starts and stops watching).
        self.state_listeners: list[StateListener] = []

    def tell_student(
        self, session_id: int, student_id: int, state: CheckinState, reason: str
    ) -> None:
        room = self._rooms.get(session_id)
        if room is not None:
            room.tell(student_id, {"type": "exam_state", "state": state.value, "reason": reason})

    def tell_overseers(
        self,
        session_id: int,
        student_id: int,
        state: CheckinState | None,
        flag: dict[str, Any] | None = None,
    ) -> None:
        if state is not None:
            for listener in self.state_listeners:
                listener(session_id, student_id, state)
        room = self._rooms.get(session_id)
        if room is None:
            return
        if flag is not None:
            room.tell_moderators(
                {"type": "proctoring_flag", "student_id": student_id, "flag": flag}
            )
        if state is not None:
            message = {"type": "exam_state", "student_id": student_id, "state": state.value}
            room.tell_moderators(message)
