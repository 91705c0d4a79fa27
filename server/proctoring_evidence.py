"""The server's own evidence about exam students, gathered in the live room (the room's
``ExamObserver``): a student who forges or suppresses the browser's flags is still flagged.

- While a student is ``in_exam`` or ``paused`` their camera is sampled from the SFU for the face
  check and watched for stalls, and (``in_exam`` only) their microphone is listened to for speech
  (``server.proctoring_sampler``) unless the exam allows speech (``server.proctoring_exam_rules``:
  the audio is then dropped before it is decoded, and a change holds for the audio that follows).
- A camera, microphone or screen track that goes away mid-exam and is not back within
  ``track_grace_seconds`` raises ``camera_lost`` / ``microphone_lost`` / ``screen_share_stopped``
  (a renegotiation or ICE restart replaces tracks within the grace and raises nothing).
- A student whose signalling drops and who comes back raises ``connection_dropped`` with the gap;
  tracks that vanish while the student is away are covered by that flag, not flagged again.
Every flag has ``source`` server and is stored through ``ProctoringService.record_server_flags``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from media.forwarder import TrackForwarder
from media.tap import PacketTap
from server.clock import iso_utc
from server.db.models import CheckinState, utcnow
from server.live import LiveRoom
from server.proctoring import ProctoringService
from server.proctoring_faces import CheckinKey, FaceCheck, RaisedFlag
from server.proctoring_rules import FINISHED, BrowserFlag
from server.proctoring_sampler import CameraWatch, MicrophoneWatch, WatchSettings, stop
from server.proctoring_voice import SpeechCheck
from server.settings import Settings

log = logging.getLogger(__name__)

S = CheckinState
WATCHED = frozenset({S.IN_EXAM, S.PAUSED})
LOST: dict[str, BrowserFlag] = {
    "camera": BrowserFlag.CAMERA_LOST,
    "microphone": BrowserFlag.MICROPHONE_LOST,
    "screen": BrowserFlag.SCREEN_SHARE_STOPPED,
}


@dataclass(frozen=True)
class EvidenceSettings:
    """Timings of the server's evidence (``PROCTORING_*`` settings)."""

    watch: WatchSettings = field(default_factory=WatchSettings)
    track_grace_seconds: float = 5.0


@dataclass
class _Student:
    state: CheckinState | None = None  # None until read from the database
    tracks: dict[str, tuple[LiveRoom, dict[str, Any]]] = field(default_factory=dict)
    watches: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    gone_since: datetime | None = None


class ExamEvidence:
    """Watches exam students' media and connections in the live rooms of this process."""

    def __init__(
        self,
        proctoring: ProctoringService,
        faces: FaceCheck,
        speech: SpeechCheck | None,
        settings: EvidenceSettings,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._proctoring = proctoring
        self._faces = faces
        self._speech = speech
        self._settings = settings
        self._now = now
        self._students: dict[CheckinKey, _Student] = {}
        self._speech_allowed: dict[int, bool] = {}  # by session, read once, then kept by changes
        self._tasks: set[asyncio.Task[None]] = set()
        self._decoding = asyncio.Semaphore(1)
        proctoring.state_listeners.append(self.state_changed)
        proctoring.rules.listeners.append(self.rules_changed)
        # The checks forget a finished exam through the proctoring service's one path.
        proctoring.checks.add(faces)
        if speech is not None:
            proctoring.checks.add(speech)

    # --- the live room's ExamObserver ---

    def track_added(self, room: LiveRoom, person_id: int, track: dict[str, Any]) -> None:
        key = (room.session_id, person_id)
        self._student(key).tracks[track["track_id"]] = (room, track)
        self._spawn(self._refresh(key))

    def track_removed(self, room: LiveRoom, person_id: int, track: dict[str, Any]) -> None:
        key = (room.session_id, person_id)
        student = self._student(key)
        student.tracks.pop(track["track_id"], None)
        watch = student.watches.pop(track["track_id"], None)
        if watch is not None:
            watch.cancel()
        away = student.gone_since is not None  # the dropped connection explains it
        if track["label"] in LOST and student.state in WATCHED and not away:
            self._spawn(self._after_grace(key, track, self._now()))

    def disconnected(self, room: LiveRoom, person_id: int) -> None:
        self._student((room.session_id, person_id)).gone_since = self._now()

    def joined(self, room: LiveRoom, person_id: int) -> None:
        student = self._student((room.session_id, person_id))
        since, student.gone_since = student.gone_since, None
        if since is not None:
            self._spawn(self._dropped((room.session_id, person_id), since, self._now()))

    # --- exam states ---

    def state_changed(self, session_id: int, student_id: int, state: CheckinState) -> None:
        key = (session_id, student_id)
        self._student(key).state = state
        self._sync(key)
        if state in FINISHED:  # over: nothing more is watched or flagged for this exam
            self._students[key] = _Student(state=state)  # keeps only the state

    async def _refresh(self, key: CheckinKey) -> None:
        student = self._student(key)
        if student.state is None:
            state = await self._proctoring.state_of(*key)
            if student.state is None:  # a state change may have arrived meanwhile
                student.state = state
        session_id = key[0]
        if self._speech is not None and session_id not in self._speech_allowed:
            allowed = await self._proctoring.rules.speech_allowed(session_id)
            self._speech_allowed.setdefault(session_id, allowed)  # unless a change came first
        self._sync(key)

    # --- the exam's rules ---

    def rules_changed(self, session_id: int, speech_allowed: bool) -> None:
        self._speech_allowed[session_id] = speech_allowed
        if speech_allowed and self._speech is not None:
            # Talk heard while it was forbidden must not count towards a flag if it is again.
            self._speech.forget_session(session_id)

    def _sync(self, key: CheckinKey) -> None:
        """Watches every watchable track while the exam runs; stops them otherwise."""
        student = self._student(key)
        if student.state not in WATCHED:
            for track_id in list(student.watches):
                student.watches.pop(track_id).cancel()
            return
        for track_id, (room, track) in student.tracks.items():
            if track_id in student.watches:
                continue
            work = self._watch(key, room, track)
            if work is not None:
                student.watches[track_id] = self._spawn(work)

    def _watch(
        self, key: CheckinKey, room: LiveRoom, track: dict[str, Any]
    ) -> Coroutine[Any, Any, None] | None:
        attach = partial(_attach, room, track["track_id"])
        report = partial(self._report, key)
        if track["kind"] == "video" and track["label"] == "camera":
            camera = CameraWatch(
                key,
                track["track_id"],
                track["mime_type"],
                attach,
                self._faces,
                report,
                self._now,
                self._settings.watch,
                self._decoding,
            )
            return camera.run()
        if track["kind"] == "audio" and self._speech is not None:
            listening = partial(self._listening, key)
            return MicrophoneWatch(key, attach, self._speech, report, self._now, listening).run()
        return None

    def _in_exam(self, key: CheckinKey) -> bool:
        return self._student(key).state == S.IN_EXAM  # talking to the proctor while paused is fine

    def _listening(self, key: CheckinKey) -> bool:
        """Whether the microphone's audio goes to the speech check (asked before decoding)."""
        return self._in_exam(key) and not self._speech_allowed.get(key[0], False)

    # --- flags ---

    async def _after_grace(self, key: CheckinKey, track: dict[str, Any], at: datetime) -> None:
        await asyncio.sleep(self._settings.track_grace_seconds)
        student = self._student(key)
        back = any(t["label"] == track["label"] for _, t in student.tracks.values())
        if back or student.gone_since is not None or student.state not in WATCHED:
            return  # replaced in time, or the dropped connection explains it
        label = track["label"]
        evidence = {
            "source": "room",
            "track_id": track["track_id"],
            "label": label,
            "removed_at": iso_utc(at),
            "grace_seconds": self._settings.track_grace_seconds,
        }
        detail = f"the {label} track was removed and not published again"
        await self._report(key, [RaisedFlag(LOST[label], at, detail, evidence)])

    async def _dropped(self, key: CheckinKey, since: datetime, back: datetime) -> None:
        student = self._student(key)
        if student.state is None:
            student.state = await self._proctoring.state_of(*key)
        if student.state not in WATCHED:
            return
        seconds = round((back - since).total_seconds(), 1)
        evidence = {
            "source": "room",
            "from": iso_utc(since),
            "to": iso_utc(back),
            "seconds": seconds,
        }
        detail = f"the connection dropped for {seconds:g} s"
        await self._report(
            key, [RaisedFlag(BrowserFlag.CONNECTION_DROPPED, since, detail, evidence)]
        )

    async def _report(self, key: CheckinKey, flags: list[RaisedFlag]) -> None:
        if flags:
            await self._proctoring.record_server_flags(*key, flags)

    # --- bookkeeping ---

    def _student(self, key: CheckinKey) -> _Student:
        return self._students.setdefault(key, _Student())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("proctoring evidence failed", exc_info=task.exception())

    async def close(self) -> None:
        for task in list(self._tasks):
            await stop(task)


def _attach(room: LiveRoom, track_id: str, tap: PacketTap | None) -> TrackForwarder | None:
    """Puts ``tap`` on the room's track (None takes it off); the forwarder, None if gone."""
    if room.ended or room.retired:
        return None
    return room.media.tap(track_id, tap)


def evidence_settings(
    sample_seconds: float, stall_seconds: float, track_grace_seconds: float
) -> EvidenceSettings:
    return EvidenceSettings(WatchSettings(sample_seconds, stall_seconds), track_grace_seconds)


def build_evidence(
    settings: Settings, proctoring: ProctoringService, faces: FaceCheck
) -> ExamEvidence:
    """The server's own evidence as configured (no speech check if PROCTORING_SPEECH_SECONDS=0)."""
    speech = None
    if settings.proctoring_speech_seconds > 0:
        speech = SpeechCheck(
            settings.proctoring_speech_seconds, settings.proctoring_speech_window_seconds
        )
    timings = evidence_settings(
        settings.proctoring_sample_seconds,
        settings.proctoring_camera_stall_seconds,
        settings.proctoring_track_grace_seconds,
    )
    return ExamEvidence(proctoring, faces, speech, timings)
