"""What happened along a recording: the session's chat and raised hands, each placed on the
recording's clock (seconds from the first second of its published file).

Everything is filtered for the viewer as in the live room: the tutor and staff see the whole
chat and every hand; a student sees the chat they could read live, and hands as the room showed
them (everyone's in a lecture, only their own in a midterm or exam).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Viewer
from server.chat import ChatService
from server.db.models import Recording, ScheduledSession
from server.room_events import hand_events
from server.scope import EXAM_KINDS, manages_session


async def timeline(
    db: AsyncSession,
    chat: ChatService,
    viewer: Viewer,
    recording: Recording,
    session: ScheduledSession,
) -> dict[str, Any]:
    """``{"recording_id", "events": [{"kind": "chat"|"hand", "offset_seconds", ...}]}``."""
    manages = manages_session(viewer, session)
    if manages:
        entries = await chat.everything(session.id)
    else:
        entries = await chat.since(session.id, viewer.person_id, 0)
    own_hands_only = not manages and session.kind in EXAM_KINDS
    hands = await hand_events(db, session.id, viewer.person_id if own_hands_only else None)
    origin = recording.media_started_at.timestamp() if recording.media_started_at else None
    events = [
        {"kind": "chat", "offset_seconds": _offset(origin, e.get("sent_at")), "entry": e}
        for e in entries
    ]
    events += [
        {"kind": "hand", "offset_seconds": _offset(origin, h["at"]), "hand": h} for h in hands
    ]
    events.sort(key=lambda e: _when(e))
    return {"recording_id": recording.id, "events": events}


def _offset(origin: float | None, at: object) -> float | None:
    if origin is None or not at:
        return None
    return round(_parse(str(at)) - origin, 3)


def _when(event: dict[str, Any]) -> float:
    at = event["entry"].get("sent_at") if event["kind"] == "chat" else event["hand"]["at"]
    return _parse(str(at)) if at else 0.0


def _parse(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
