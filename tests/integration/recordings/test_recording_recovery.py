"""A server restart under a recording: what the crash left is found and processed by the next
process (``RecordingService._recover``), on SQLite and PostgreSQL.

The crash is made as the recorder's kill -9 leaves it (closed segments, one ``.part`` cut short,
the row still ``recording``); then a second application starts on the same database and disk.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from recordings.layout import read_index
from server.app import create_app
from server.db.models import RecordingStatus, utcnow
from server.services import Services
from server.settings import Settings
from tests.conftest import DEMO_PASSWORD
from tests.integration.recordings.auto_kit import epoch
from tests.integration.recordings.kit import decodes, recording_row, settled
from tests.integration.server.signal_kit import open_now
from tests.unit.recordings.synthetic import BLUE, Piece, write_capture

pytestmark = [pytest.mark.usefixtures("demo")]


def _cut_short(capture: Path, name: str, piece: Piece) -> None:
    """A segment the recorder had open when it died: journalled ``open`` only, its bytes cut."""
    whole = capture.parent / "whole"
    write_capture(whole, [piece])
    [written] = whole.glob("*.webm")
    data = written.read_bytes()
    (capture / f"{name}.part").write_bytes(data[: len(data) * 85 // 100])
    [opened, _closed] = read_index(whole / "index.jsonl")
    shutil.rmtree(whole)
    with (capture / "index.jsonl").open("a") as journal:
        journal.write(json.dumps({**opened, "file": name}) + "\n")


@asynccontextmanager
async def _restarted(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """A new server process's application on the same database and RECORDINGS_DIR."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        response = await client.post(
            "/api/auth/login", json={"login": "tutor.akhmetova", "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield app, client


async def test_a_restart_closes_what_was_recording_and_processes_it_and_what_was_processing(
    services: Services, settings: Settings
) -> None:
    session = await open_now(services, "lecture")
    began = utcnow() - timedelta(seconds=60)
    crashed = await recording_row(services, session, started_at=began)  # status: recording
    half_done = await recording_row(
        services,
        session,
        status=RecordingStatus.PROCESSING.value,
        started_at=began,
        stopped_at=began + timedelta(seconds=5),
        stop_reason="stopped",
    )
    done = await recording_row(services, session, status=RecordingStatus.READY.value, progress=100)
    origin = time.time() - 60
    camera = [Piece("p2", "camera", "t1", s, 1.0, BLUE) for s in (0.5, 1.5, 2.5)]
    microphone = [Piece("p2", "microphone", "t2", s, 1.0) for s in (0.5, 1.5, 2.5)]
    roots = {
        r: settings.recordings_dir / f"session-{session}/rec-{r}" for r in (crashed, half_done)
    }
    write_capture(roots[crashed] / "capture", camera + microphone, origin=origin)
    _cut_short(
        roots[crashed] / "capture",
        "p2-camera-t1-00004.webm",
        Piece("p2", "camera", "t1", 3.5, 1.0, BLUE),
    )
    write_capture(roots[half_done] / "capture", camera[:2] + microphone[:2], origin=origin)
    finished = sorted(p.name for p in (roots[crashed] / "capture").glob("*.webm"))
    assert len(finished) == 6

    restarted_at = time.time()
    async with _restarted(settings) as (app, teacher):
        state = await settled(teacher, crashed)
        other = await settled(teacher, half_done)
        untouched = (await teacher.get(f"/api/recordings/{done}")).json()
        recovered: Services = app.state.services
        assert recovered.recordings.recording_now(session) is False

    assert state["status"] == "ready", state
    assert state["stop_reason"] == "server_restarted"
    assert epoch(state["stopped_at"]) >= restarted_at - 1
    archive = roots[crashed] / "archive"
    for name in finished:  # every segment closed before the crash is kept and decodes
        assert sum(decodes(archive / name)) > 0, name
    assert sum(decodes(archive / "p2-camera-t1-00004.webm")) > 0  # salvaged from the .part
    [published] = state["files"]
    video, audio = decodes(roots[crashed] / "published" / published["name"])
    assert video > 0 and audio > 0
    # Three closed seconds, and the salvaged part of the fourth.
    assert 3.2 <= state["duration_seconds"] <= 4.0, state["duration_seconds"]
    assert abs(epoch(state["media_started_at"]) - (origin + 0.5)) < 0.01

    assert other["status"] == "ready", other
    assert other["stop_reason"] == "stopped"  # it had stopped before: its reason stays
    assert 1.8 <= other["duration_seconds"] <= 2.2
    assert untouched["status"] == "ready" and untouched["files"] == []
