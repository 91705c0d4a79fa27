"""A live server on a known loopback port: the recorder process connects back to it.

Databases: ``database_url`` (tests/conftest.py) runs every test here on SQLite and PostgreSQL
unless a module narrows it. The modules with real media (flow, faults, tracks, auto) narrow it to
SQLite to keep the suite short; test_recording_db.py drives the same service and API paths
(recordings, files, retry, timeline with chat and hands, room events) on both databases.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from starlette.applications import Starlette

from media.aiortc_hooks import restrict_host_addresses
from server.settings import Settings
from tests.integration.server.signal_kit import free_port
from tests.support import wait_until


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def extra_env(port: int) -> dict[str, str]:
    return {
        "ICE_LOOPBACK_ONLY": "1",
        "ROOM_RESUME_SECONDS": "2",
        "PORT": str(port),
        "RECORDING_SEGMENT_SECONDS": "1",
    }


@pytest.fixture
def loopback() -> Iterator[None]:
    with restrict_host_addresses(["127.0.0.1"]):
        yield


@pytest.fixture
async def base(app: Starlette, settings: Settings, loopback: None) -> AsyncIterator[str]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=settings.port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, timeout=10)
    try:
        yield f"127.0.0.1:{settings.port}"
    finally:
        # Recorders and processing first: they are clients of this server.
        with contextlib.suppress(Exception):
            await app.state.services.recordings.close()
        server.should_exit = True
        await task
