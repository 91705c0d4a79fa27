"""A proctored exam's own rules, set by its tutor or staff: for now whether speech is allowed
(an oral exam answered aloud, or a student reading aloud by permission). Where speech is allowed
the server's speech check leaves the exam's microphones alone; the proctor still hears them.

The rule is stored on the session (``scheduled_sessions.speech_allowed``, default forbidden) and
told at once to the listeners of this process (the live room's evidence), so a change mid-exam
holds for the audio that follows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import ScheduledSession
from server.errors import Conflict, Forbidden
from server.proctoring_access import exam_session
from server.schedule import CLOSED
from server.scope import manages_session

RulesListener = Callable[[int, bool], None]  # (session id, speech allowed)


class ExamRulesIn(BaseModel):
    """``PATCH .../proctoring`` body: every rule is required, so nothing changes by omission."""

    model_config = ConfigDict(extra="forbid")
    speech_allowed: StrictBool


def rules_json(session: ScheduledSession) -> dict[str, Any]:
    return {"session_id": session.id, "speech_allowed": session.speech_allowed}


def require_rule_setter(viewer: Viewer, session: ScheduledSession) -> None:
    """The session's tutor and staff (their branch; admins everywhere) set an exam's rules."""
    if not manages_session(viewer, session):
        raise Forbidden("only the exam's tutor and staff set its rules")


class ExamRules:
    """Reads and changes exams' rules; one per proctoring service."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        # Told of every change (the live room's evidence starts or stops listening for speech).
        self.listeners: list[RulesListener] = []

    async def get(self, viewer: Viewer, session_id: int) -> dict[str, Any]:
        """The exam's rules for anyone who sees the exam (its students too)."""
        async with self._sessions() as db:
            return rules_json(await exam_session(db, viewer, session_id))

    async def change(self, viewer: Viewer, session_id: int, body: ExamRulesIn) -> dict[str, Any]:
        async with self._sessions() as db:
            session = await exam_session(db, viewer, session_id)
            require_rule_setter(viewer, session)
            if session.status in CLOSED:
                raise Conflict(f"session {session_id} is {session.status} and cannot change")
            session.speech_allowed = body.speech_allowed
            await db.commit()
            changed = rules_json(session)
        for listener in self.listeners:
            listener(session_id, body.speech_allowed)
        return changed

    async def speech_allowed(self, session_id: int) -> bool:
        """The stored rule, for the server's own checks (False for an unknown session)."""
        async with self._sessions() as db:
            allowed = await db.scalar(
                select(ScheduledSession.speech_allowed).where(ScheduledSession.id == session_id)
            )
        return bool(allowed)
