"""The exam observer's rules without a live room: which track losses and connection drops become
server flags, when watching starts and stops, and the settings that time it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.db.models import CheckinState
from server.errors import ConfigError
from server.proctoring_evidence import ExamEvidence, evidence_settings
from server.proctoring_faces import ExamChecks, FaceCheck, RaisedFlag
from server.proctoring_voice import SpeechCheck
from server.settings import load_settings
from tests.support import wait_until

S = CheckinState
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@dataclass
class FakeRules:
    allowed: dict[int, bool] = field(default_factory=dict)
    listeners: list[Any] = field(default_factory=list)
    reads: int = 0
    gate: asyncio.Event | None = None  # holds a read back until set

    async def speech_allowed(self, session_id: int) -> bool:
        self.reads += 1
        allowed = self.allowed.get(session_id, False)
        if self.gate is not None:
            await self.gate.wait()
        return allowed


@dataclass
class FakeProctoring:
    state: CheckinState = S.IN_EXAM
    rules: FakeRules = field(default_factory=FakeRules)
    flags: list[tuple[int, int, RaisedFlag]] = field(default_factory=list)
    state_listeners: list[Any] = field(default_factory=list)
    checks: ExamChecks = field(default_factory=lambda: ExamChecks([]))

    async def state_of(self, session_id: int, student_id: int) -> CheckinState:
        return self.state

    async def record_server_flags(
        self, session_id: int, student_id: int, raised: list[RaisedFlag]
    ) -> list[dict[str, Any]]:
        self.flags += [(session_id, student_id, f) for f in raised]
        return []


@dataclass
class FakeMedia:
    taps: dict[str, Any] = field(default_factory=dict)

    def tap(self, track_id: str, tap: Any) -> None:
        self.taps[track_id] = tap  # the track is "gone" at once: watches end by themselves


@dataclass
class FakeRoom:
    session_id: int = 5
    ended: bool = False
    retired: bool = False
    media: FakeMedia = field(default_factory=FakeMedia)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


def track(track_id: str, label: str, kind: str = "video") -> dict[str, Any]:
    return {"track_id": track_id, "label": label, "kind": kind, "mime_type": "video/VP8"}


def _evidence(state: CheckinState = S.IN_EXAM) -> tuple[ExamEvidence, FakeProctoring, Clock]:
    proctoring = FakeProctoring(state)
    clock = Clock()
    evidence = ExamEvidence(
        proctoring,  # type: ignore[arg-type]
        FaceCheck(),
        SpeechCheck(),
        evidence_settings(1, 10, 0.05),
        clock,
    )
    return evidence, proctoring, clock


async def _settle(evidence: ExamEvidence) -> None:
    await wait_until(lambda: not evidence._tasks, timeout=2)


async def test_a_track_not_back_within_the_grace_is_flagged_at_its_removal() -> None:
    evidence, proctoring, clock = _evidence()
    assert proctoring.state_listeners == [evidence.state_changed]
    room: Any = FakeRoom()
    evidence.track_added(room, 9, track("t1", "screen"))
    evidence.track_added(room, 9, track("t2", "camera"))
    await _settle(evidence)
    evidence.track_removed(room, 9, track("t2", "camera"))
    evidence.track_added(room, 9, track("t3", "camera"))  # replaced in time: nothing
    clock.now = T0 + timedelta(seconds=30)
    evidence.track_removed(room, 9, track("t1", "screen"))
    await _settle(evidence)
    assert [(k, f.kind, f.at) for *k, f in proctoring.flags] == [
        ([5, 9], "screen_share_stopped", T0 + timedelta(seconds=30))
    ]
    assert proctoring.flags[0][2].evidence["track_id"] == "t1"


async def test_a_dropped_connection_is_one_flag_with_the_gap() -> None:
    evidence, proctoring, clock = _evidence()
    room: Any = FakeRoom()
    evidence.track_added(room, 9, track("t1", "microphone", "audio"))
    await _settle(evidence)
    evidence.disconnected(room, 9)
    evidence.track_removed(room, 9, track("t1", "microphone", "audio"))  # the drop explains it
    clock.now = T0 + timedelta(seconds=31.5)
    evidence.joined(room, 9)
    evidence.joined(room, 9)  # a second join without a drop: nothing
    await _settle(evidence)
    assert [f.kind for *_, f in proctoring.flags] == ["connection_dropped"]
    flag = proctoring.flags[0][2]
    assert flag.at == T0
    assert flag.evidence == {
        "source": "room",
        "from": "2026-11-27T10:00:00Z",
        "to": "2026-11-27T10:00:31.500000Z",
        "seconds": 31.5,
    }


async def test_nothing_is_flagged_outside_the_exam_and_watching_follows_the_state() -> None:
    evidence, proctoring, _clock = _evidence(S.APPROVED)
    room: Any = FakeRoom()
    evidence.track_added(room, 9, track("t1", "camera"))
    await _settle(evidence)
    assert room.media.taps == {}  # approved, not started: not watched
    evidence.disconnected(room, 9)
    evidence.joined(room, 9)
    evidence.track_removed(room, 9, track("t1", "camera"))
    await _settle(evidence)
    assert proctoring.flags == []

    evidence.track_added(room, 9, track("t2", "camera"))
    evidence.track_added(room, 9, track("t3", "microphone", "audio"))
    evidence.track_added(room, 9, track("t4", "screen"))
    evidence.state_changed(5, 9, S.IN_EXAM)  # start: the camera and microphone are watched
    await asyncio.sleep(0.05)
    assert set(room.media.taps) == {"t2", "t3"}
    assert evidence._in_exam((5, 9))
    evidence.state_changed(5, 9, S.PAUSED)
    assert not evidence._in_exam((5, 9))  # talking while paused is not flagged
    evidence.state_changed(5, 9, S.HANDED_IN)
    evidence.track_removed(room, 9, track("t2", "camera"))
    await _settle(evidence)
    assert proctoring.flags == []
    await evidence.close()


class CountsForgets:
    """Mixed in before a real check: records every exam it is told to forget."""

    def __init__(self) -> None:
        super().__init__()
        self.forgotten: list[tuple[int, int]] = []

    def forget(self, key: tuple[int, int]) -> None:
        self.forgotten.append(key)
        super().forget(key)  # type: ignore[misc]  # the real check's


class CountedFaces(CountsForgets, FaceCheck):
    pass


class CountedSpeech(CountsForgets, SpeechCheck):
    pass


async def test_each_check_forgets_a_finished_exam_once() -> None:
    faces, speech = CountedFaces(), CountedSpeech()
    checks = ExamChecks([faces])  # the face check is also a flag source of posted frames
    proctoring = FakeProctoring(checks=checks, state_listeners=[checks.state_changed])
    evidence = ExamEvidence(
        proctoring,  # type: ignore[arg-type]
        faces,
        speech,
        evidence_settings(1, 10, 0.05),
    )
    assert checks.all() == [faces, speech]
    for state in (S.IN_EXAM, S.PAUSED, S.IN_EXAM, S.ENDED_BY_PROCTOR):
        for listener in proctoring.state_listeners:
            listener(5, 9, state)
    assert (faces.forgotten, speech.forgotten) == ([(5, 9)], [(5, 9)])
    await evidence.close()


async def test_an_exam_that_allows_speech_is_not_listened_to_and_changes_hold_at_once() -> None:
    evidence, proctoring, _clock = _evidence()
    assert proctoring.rules.listeners == [evidence.rules_changed]
    proctoring.rules.allowed[5] = True
    room: Any = FakeRoom()
    evidence.track_added(room, 9, track("t1", "microphone", "audio"))
    evidence.track_added(room, 9, track("t2", "camera"))
    await _settle(evidence)
    assert proctoring.rules.reads == 1  # read once per exam, then kept by the changes
    assert not evidence._listening((5, 9))

    speech = evidence._speech
    assert speech is not None
    heard: Any = object()  # what the check keeps of a stream
    speech._voices[(5, 9)] = speech._voices[(5, 10)] = speech._voices[(6, 9)] = heard
    evidence.rules_changed(5, False)
    assert evidence._listening((5, 9))
    evidence.state_changed(5, 9, S.PAUSED)
    assert not evidence._listening((5, 9))  # paused: not listened to whatever the rule
    evidence.state_changed(5, 9, S.IN_EXAM)
    evidence.rules_changed(5, True)  # what was heard of this exam is forgotten, not the other's
    assert not evidence._listening((5, 9))
    assert set(speech._voices) == {(6, 9)}
    await evidence.close()


async def test_a_change_of_the_rule_wins_over_a_read_still_on_its_way() -> None:
    evidence, proctoring, _clock = _evidence()
    proctoring.rules.gate = asyncio.Event()  # the stored rule is read before the change commits
    room: Any = FakeRoom()
    evidence.track_added(room, 9, track("t1", "microphone", "audio"))
    await wait_until(lambda: proctoring.rules.reads == 1)
    evidence.rules_changed(5, True)
    proctoring.rules.gate.set()  # the read answers "forbidden", older than the change
    await _settle(evidence)
    assert not evidence._listening((5, 9))
    await evidence.close()


def test_the_evidence_settings(tmp_path: Path) -> None:
    base = {"DATA_DIR": str(tmp_path)}
    defaults = load_settings(base)
    assert (
        defaults.proctoring_sample_seconds,
        defaults.proctoring_face_threshold_seconds,
        defaults.proctoring_camera_stall_seconds,
        defaults.proctoring_speech_seconds,
        defaults.proctoring_speech_window_seconds,
        defaults.proctoring_track_grace_seconds,
    ) == (3, 10, 10, 3, 5, 5)
    with pytest.raises(ConfigError, match="at least PROCTORING_SPEECH_SECONDS"):
        load_settings(
            base | {"PROCTORING_SPEECH_SECONDS": "6", "PROCTORING_SPEECH_WINDOW_SECONDS": "5"}
        )
    with pytest.raises(ConfigError, match="PROCTORING_SAMPLE_SECONDS"):
        load_settings(base | {"PROCTORING_SAMPLE_SECONDS": "0"})
    assert load_settings(base | {"PROCTORING_SPEECH_SECONDS": "0"}).proctoring_speech_seconds == 0
