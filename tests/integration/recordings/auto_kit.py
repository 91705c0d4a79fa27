"""Shared by the tests of exams that record themselves (RECORDING_AUTO): the server's settings
for them and the API's ISO times as epoch seconds."""

from __future__ import annotations

from datetime import datetime


def auto_env(port: int) -> dict[str, str]:
    """A server on ``port`` that records midterms and exams by itself in 1 s segments."""
    return {
        "ICE_LOOPBACK_ONLY": "1",
        "ROOM_RESUME_SECONDS": "1",
        "PORT": str(port),
        "RECORDING_SEGMENT_SECONDS": "1",
        "RECORDING_AUTO": "1",
    }


def epoch(text: str) -> float:
    """An ISO time from the API (``Z`` or an offset) as epoch seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
