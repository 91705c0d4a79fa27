"""Server-to-client shapes of media events (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from media import messages as m


def subscription_offer(sdp: str, slots: tuple[m.SlotInfo, ...]) -> dict[str, Any]:
    return {
        "type": "subscription_offer",
        "sdp": sdp,
        "slots": [
            {
                "mid": s.mid,
                "slot": s.slot,
                "track_id": s.track_id,
                "publisher_id": s.publisher_id,
                "label": s.label,
                "kind": s.kind,
            }
            for s in slots
        ],
    }


def stats(event: m.Stats) -> dict[str, Any]:
    return {
        "type": "stats",
        "published": [vars(s) for s in event.published],
        "subscribed": [vars(s) for s in event.subscribed],
    }
