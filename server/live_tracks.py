"""The live room's tracks as clients see them: media events turned into messages.

``RoomTracks`` keeps the tracks published in a room and sends each media event to the
participants it concerns: a track's news to its audience (who hears it under the room rules),
offers, answers, stats and errors to their participant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from media import messages as m
from server import live_views
from server.rooms import Participant, RoomRules

log = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], None]
# Told of an exam student's track coming or going: (publisher id, the track, added?).
TrackHook = Callable[[str, dict[str, Any], bool], None]


class RoomTracks:
    """Tracks of one room and the routing of media events to clients."""

    def __init__(self, session_id: int, rules: RoomRules, send: Send, on_track: TrackHook) -> None:
        self._session_id = session_id
        self._rules = rules
        self._send = send
        self._on_track = on_track
        self.tracks: dict[str, dict[str, Any]] = {}
        # The last subscription offer each participant has not answered: sent again on resume,
        # since one sent while their signalling was down is lost.
        self.unanswered: dict[str, dict[str, Any]] = {}

    def sees(self, participant: Participant, track: dict[str, Any]) -> bool:
        publisher = self._rules.participants.get(track["publisher_id"])
        if publisher is None:
            return False
        return publisher is participant or self._rules.hears(publisher, participant, track["label"])

    def seen_by(self, participant: Participant) -> list[dict[str, Any]]:
        return [t for t in self.tracks.values() if self.sees(participant, t)]

    def of(self, publisher_id: str, label: str | None = None) -> list[dict[str, Any]]:
        return [
            t
            for t in self.tracks.values()
            if t["publisher_id"] == publisher_id and label in (None, t["label"])
        ]

    def send_to_audience(self, track: dict[str, Any], message: dict[str, Any]) -> None:
        for participant in self._rules.participants.values():
            if self.sees(participant, track):
                self._send(participant.participant_id, message)

    def on_event(self, event: m.Event) -> None:
        match event:
            case m.Answer(pid, sdp):
                self._send(pid, {"type": "publish_answer", "sdp": sdp})
            case m.SubscriptionOffer(pid, sdp, slots):
                self.unanswered[pid] = live_views.subscription_offer(sdp, slots)
                self._send(pid, self.unanswered[pid])
            case m.TrackAdded(track_id, publisher_id, label, kind, mime_type):
                self._added(track_id, publisher_id, label, kind, mime_type)
            case m.TrackRemoved(track_id, _publisher_id, _label):
                gone = self.tracks.pop(track_id, None)
                if gone is not None:
                    self._on_track(gone["publisher_id"], gone, False)
                    self.send_to_audience(gone, {"type": "track_removed", "track_id": track_id})
            case m.TrackMuted(track_id, _publisher_id, muted):
                self._muted(track_id, muted)
            case m.Stats():
                self._send(event.participant_id, live_views.stats(event))
            case m.PeerClosed(pid, role, reason):
                self._send(pid, {"type": "peer_closed", "role": role, "reason": reason})
            case m.SubscriptionLimited(pid, track_ids, limit):
                message = {"type": "subscription_limited", "limit": limit}
                self._send(pid, message | {"track_ids": list(track_ids)})
            case m.CommandFailed(pid, command, code, message):
                error = {"type": "error", "code": f"media_{code}", "message": message}
                self._send(pid, error | {"command": command})
            case _:
                log.debug("room %s: media event %s", self._session_id, event)

    def _added(
        self, track_id: str, publisher_id: str, label: str, kind: str, mime_type: str
    ) -> None:
        track = {
            "track_id": track_id,
            "publisher_id": publisher_id,
            "label": label,
            "kind": kind,
            "mime_type": mime_type,
            "muted": False,
        }
        self.tracks[track_id] = track
        self._on_track(publisher_id, track, True)
        self.send_to_audience(track, {"type": "track_added", "track": track})

    def _muted(self, track_id: str, muted: bool) -> None:
        track = self.tracks.get(track_id)
        if track is None:
            return
        track["muted"] = muted
        message = {"type": "track_muted", "track_id": track_id, "muted": muted}
        self.send_to_audience(track, message)
