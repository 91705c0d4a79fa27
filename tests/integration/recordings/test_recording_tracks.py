"""A track that appears and disappears mid-recording, through real aiortc publishers, the SFU
and the recorder process: the camera turned off and on again, and a screen share stopped and
started again while the camera stays on. SQLite only (the database side is covered on both
backends by test_recording_db.py)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiortc import AudioStreamTrack

from recordings.compose import HOLD
from recordings.layout import read_json
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.recordings.kit import ColourTrack, Sender, closed_segments, settled
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import wait_until
from tests.unit.recordings.synthetic import BLUE, GREEN, RED, frame_at, near, yuv_at

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
GAP_SEGMENTS = 5  # audio segments (1 s each) recorded between the two pieces
BLACK = (16, 128, 128)
Records = list[dict[str, Any]]


@dataclass
class Run:
    """What one scenario left behind."""

    root: Path
    state: dict[str, Any]
    records: Records


def by_label(records: Records, label: str) -> dict[str, Records]:
    tracks: dict[str, Records] = defaultdict(list)
    for record in records:
        if record["label"] == label:
            tracks[record["track_id"]].append(record)
    return tracks


async def _on_off_on(
    base: str, services: Services, client_for: ClientFactory, label: str, steady_camera: bool
) -> Run:
    """Microphone (and a RED camera when ``steady_camera``) all along; a ``label`` video track
    shown BLUE, stopped for GAP_SEGMENTS seconds, then a new one shown GREEN."""
    session = await open_now(services, "lecture")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    teacher = await client_for("tutor.akhmetova")
    sender = Sender(tutor)
    try:
        sender.add(AudioStreamTrack(), "microphone")
        if steady_camera:
            sender.add(ColourTrack(RED), "camera")
        await sender.offer()
        started = await teacher.post(f"/api/sessions/{session}/recording/start")
        assert started.status_code == 201, started.text
        recording_id = started.json()["id"]
        root = services.settings.recordings_dir / f"session-{session}/rec-{recording_id}"
        capture = root / "capture"

        def pieces() -> dict[str, Records]:
            return by_label(closed_segments(capture), label)

        def audio_segments() -> int:
            return len(by_label(closed_segments(capture), "microphone").get("t1", []))

        # The recorder is in and recording before the track appears.
        await wait_until(lambda: audio_segments() >= 2, timeout=20)
        first = sender.add(ColourTrack(BLUE), label)  # appears
        await sender.offer()
        await wait_until(lambda: sum(map(len, pieces().values())) >= 2, timeout=15)
        first.direction = "inactive"  # disappears
        removed = len(tutor.signal.of("track_removed"))
        await sender.offer()
        await tutor.signal.next("track_removed", after=removed)
        seen = audio_segments()
        await wait_until(lambda: audio_segments() >= seen + GAP_SEGMENTS, timeout=20)
        sender.add(ColourTrack(GREEN), label)  # appears again: a new track
        await sender.offer()
        await wait_until(lambda: len(pieces()) == 2, timeout=20)
        second = list(pieces())[1]
        await wait_until(lambda: len(pieces()[second]) >= 2, timeout=20)
        stopped = await teacher.post(f"/api/sessions/{session}/recording/stop")
        assert stopped.status_code == 200, stopped.text
    finally:
        await tutor.close()
    state = await settled(teacher, recording_id)
    assert state["status"] == "ready", state
    return Run(root, state, closed_segments(capture))


def _check(run: Run, label: str, gap_colour: tuple[int, int, int]) -> None:
    """Both pieces kept in order with the gap between them, one file, each piece in place."""
    pieces = by_label(run.records, label)
    assert len(pieces) == 2, list(pieces)  # two tracks: the second is a new track id
    first, second = pieces.values()
    gap_start = max(r["end"] for r in first)
    gap_end = min(r["start"] for r in second)
    assert gap_end - gap_start >= GAP_SEGMENTS - 1.5, (gap_start, gap_end)
    [audio] = by_label(run.records, "microphone").values()
    for before, after in itertools.pairwise(audio):
        assert after["start"] - before["end"] < 0.5, (before, after)  # audio went on unbroken
    checked = read_json(run.root / "checked.json")
    assert checked["left_out"] == []
    assert {r["file"] for r in checked["segments"]} == {r["file"] for r in run.records}
    [item] = run.state["files"]
    assert item["name"] == "lecture.mp4"
    t0 = read_json(run.root / "processed.json")["t0"]
    ends = max(r["end"] for r in run.records)
    assert abs(run.state["duration_seconds"] - (ends - t0)) < 1.0
    path = run.root / "published" / item["name"]
    checks = [((first[0]["start"] + gap_start) / 2, BLUE)]
    if gap_end - gap_start > HOLD + 1:
        checks.append((gap_end - 0.5, gap_colour))
    checks.append(((gap_end + second[-1]["end"]) / 2, GREEN))
    for at, colour in checks:
        found = yuv_at(frame_at(path, at - t0), 160, 120)
        assert near(found, colour, slack=24), (at - t0, found, colour)


async def test_camera_turned_off_and_on_keeps_every_piece_in_one_file(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    run = await _on_off_on(base, services, client_for, "camera", steady_camera=False)
    _check(run, "camera", gap_colour=BLACK)


async def test_screen_share_stopped_and_restarted_keeps_every_piece_in_one_file(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    run = await _on_off_on(base, services, client_for, "screen", steady_camera=True)
    [camera] = by_label(run.records, "camera").values()
    stats = camera[-1]["stats"]
    assert stats["resets"] < stats["packets"] // 10, stats  # one stream on the camera's line
    _check(run, "screen", gap_colour=RED)  # between shares the camera is the main picture


@pytest.mark.parametrize("one_offer", [True, False], ids=["one-offer", "screen-later"])
async def test_camera_and_screen_already_shared_when_recording_starts_are_both_kept(
    base: str, services: Services, client_for: ClientFactory, one_offer: bool
) -> None:
    """Microphone, camera and screen published in one first offer (audio first, then two
    videos: the case aiortc's default bundling lost), or the screen added by a second offer."""
    session = await open_now(services, "lecture")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    teacher = await client_for("tutor.akhmetova")
    sender = Sender(tutor)
    try:
        sender.add(AudioStreamTrack(), "microphone")
        sender.add(ColourTrack(RED), "camera")
        if not one_offer:
            await sender.offer()
        sender.add(ColourTrack(BLUE), "screen")
        await sender.offer()
        started = await teacher.post(f"/api/sessions/{session}/recording/start")
        assert started.status_code == 201, started.text
        root = services.settings.recordings_dir / f"session-{session}/rec-{started.json()['id']}"

        def labels() -> set[str]:
            return {r["label"] for r in closed_segments(root / "capture")}

        await wait_until(lambda: len(closed_segments(root / "capture")) >= 6, timeout=20)
        await wait_until(lambda: labels() == {"microphone", "camera", "screen"}, timeout=5)
        for label in ("camera", "screen"):
            [pieces] = by_label(closed_segments(root / "capture"), label).values()
            stats = pieces[-1]["stats"]
            assert stats["packets"] > 0, (label, stats)
            assert stats["resets"] < stats["packets"] // 10, (label, stats)  # one stream a line
    finally:
        await tutor.close()
