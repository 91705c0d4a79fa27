"""A processed recording opens in ffprobe (FFmpeg's own reader, as players use it) with a video
and an audio stream: PyAV decoding it (test_recording_flow.py) does not prove other tools accept
the container. Skips without ffprobe on a developer's machine, fails in CI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.recordings.kit import settled
from tests.integration.server.signal_kit import Peer, open_now
from tests.support import require, wait_until

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def ffprobe_streams(path: Path) -> list[dict[str, Any]]:
    """The streams ffprobe reports for ``path`` (it must open the file without an error)."""
    ffprobe = shutil.which("ffprobe")
    assert ffprobe is not None
    entries = "stream=codec_type,codec_name,width,height,sample_rate,duration"
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", entries, "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # no complaint about the container either
    streams: list[dict[str, Any]] = json.loads(result.stdout)["streams"]
    return streams


async def test_published_recording_opens_in_ffprobe_with_video_and_audio(
    base: str, services: Services, client_for: ClientFactory
) -> None:
    require(shutil.which("ffprobe") is not None, "ffprobe (Debian package ffmpeg)")
    session = await open_now(services, "lecture")
    tutor = await Peer.enter(base, session, "tutor.akhmetova")
    teacher = await client_for("tutor.akhmetova")
    try:
        await tutor.publish()
        started = await teacher.post(f"/api/sessions/{session}/recording/start")
        assert started.status_code == 201, started.text
        recording_id = started.json()["id"]
        capture = services.settings.recordings_dir / f"session-{session}/rec-{recording_id}"
        await wait_until(lambda: len(list((capture / "capture").glob("*.webm"))) >= 4, 20)
        stopped = await teacher.post(f"/api/sessions/{session}/recording/stop")
        assert stopped.status_code == 200, stopped.text
    finally:
        await tutor.close()
    state = await settled(teacher, recording_id)
    assert state["status"] == "ready", state
    [item] = state["files"]
    streams = ffprobe_streams(capture / "published" / item["name"])
    video = [s for s in streams if s["codec_type"] == "video"]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    assert len(video) == 1 and len(audio) == 1, streams
    assert video[0]["width"] > 0 and video[0]["height"] > 0
    assert int(audio[0]["sample_rate"]) > 0
    assert float(video[0]["duration"]) > 1 and float(audio[0]["duration"]) > 1
