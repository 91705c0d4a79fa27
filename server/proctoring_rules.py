"""Proctoring rules without I/O: exam states and their moves, the browser's media checks, the
flag kinds a browser may report, and the request bodies of the proctoring API."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from server.db.models import CheckinState
from server.errors import Conflict, ValidationFailed

S = CheckinState
# Where each move may start from.
MOVES: dict[str, frozenset[CheckinState]] = {
    "begin": frozenset({S.NOT_STARTED, S.CHECKING_IN, S.REJECTED}),
    "photo": frozenset({S.NOT_STARTED, S.CHECKING_IN, S.REJECTED}),
    "submit": frozenset({S.CHECKING_IN, S.REJECTED}),
    "approve": frozenset({S.AWAITING_IDENTITY}),
    "reject": frozenset({S.AWAITING_IDENTITY, S.APPROVED}),
    "start": frozenset({S.APPROVED}),
    "pause": frozenset({S.IN_EXAM}),
    "resume": frozenset({S.PAUSED}),
    "end": frozenset({S.APPROVED, S.IN_EXAM, S.PAUSED}),
    "hand_in": frozenset({S.IN_EXAM}),
    "flag": frozenset(
        {S.CHECKING_IN, S.AWAITING_IDENTITY, S.APPROVED, S.IN_EXAM, S.PAUSED, S.REJECTED}
    ),
}
# A student in these states may publish camera, microphone and screen in the exam room.
MAY_PUBLISH = frozenset({S.APPROVED, S.IN_EXAM, S.PAUSED})
FINISHED = frozenset({S.HANDED_IN, S.ENDED_BY_PROCTOR})
FLAG_FUTURE_SLACK = timedelta(seconds=5)
FLAG_MAX_AGE = timedelta(minutes=30)


class BrowserFlag(enum.StrEnum):
    """What the exam page may report; anything else is refused."""

    TAB_HIDDEN = "tab_hidden"
    WINDOW_BLUR = "window_blur"
    FULLSCREEN_EXIT = "fullscreen_exit"
    SCREEN_SHARE_STOPPED = "screen_share_stopped"
    SCREEN_SHARE_NOT_MONITOR = "screen_share_not_monitor"
    CAMERA_LOST = "camera_lost"
    MICROPHONE_LOST = "microphone_lost"
    SECOND_DISPLAY = "second_display"
    COPY_PASTE = "copy_paste"
    CONNECTION_DROPPED = "connection_dropped"


class ServerFlag(enum.StrEnum):
    """What the server raises from its own evidence; a browser may not report these."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    SPEECH_DETECTED = "speech_detected"
    IDENTITY_MISMATCH = "identity_mismatch"
    FACE_PHOTO_NO_FACE = "face_photo_no_face"


class PhotoKind(enum.StrEnum):
    FACE = "face"
    DOCUMENT = "document"


def check_move(state: CheckinState, move: str) -> None:
    if state not in MOVES[move]:
        raise Conflict(f"cannot {move.replace('_', ' ')} while the exam check-in is {state.value}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MediaChecks(Strict):
    """The check page's report: every track flowing, and the whole screen shared."""

    camera: StrictBool
    microphone: StrictBool
    screen: StrictBool
    displaySurface: str = Field(max_length=32)  # MediaTrackSettings names it so

    def require_passed(self) -> None:
        missing = [name for name in ("camera", "microphone", "screen") if not getattr(self, name)]
        if missing:
            raise ValidationFailed(f"not flowing: {', '.join(missing)}; all three must flow")
        if self.displaySurface != "monitor":
            raise ValidationFailed(
                "share your entire screen (displaySurface monitor), not a window or a tab"
            )


class Decision(Strict):
    reason: str = Field(default="", max_length=500)


class Rejection(Strict):
    reason: str = Field(min_length=1, max_length=500)


class IncidentIn(Strict):
    text: str = Field(min_length=1, max_length=2000)
    at: AwareDatetime | None = None


class FlagIn(Strict):
    kind: str = Field(max_length=32)
    at: AwareDatetime
    detail: str = Field(default="", max_length=500)

    def checked(self, now: datetime, since: datetime) -> tuple[BrowserFlag, datetime]:
        """The kind and time, if the kind is known and the time plausible; 422 otherwise."""
        try:
            kind = BrowserFlag(self.kind)
        except ValueError:
            known = ", ".join(k.value for k in BrowserFlag)
            raise ValidationFailed(f"unknown flag kind {self.kind!r} (known: {known})") from None
        if self.at > now + FLAG_FUTURE_SLACK:
            raise ValidationFailed("the flag's time is in the future; check the device clock")
        if self.at < max(now - FLAG_MAX_AGE, since - FLAG_FUTURE_SLACK):
            raise ValidationFailed("the flag's time is before the check-in or too long ago")
        return kind, self.at
