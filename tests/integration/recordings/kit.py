"""Helpers for recording tests: decoding files, waiting for a recording to settle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import httpx

from tests.support import wait_until


def decodes(path: Path) -> tuple[int, int]:
    """(video frames, audio frames) that decode from ``path``."""
    video = audio = 0
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                video += 1
            else:
                audio += 1
    return video, audio


async def settled(client: httpx.AsyncClient, recording_id: int, timeout: float = 40) -> Any:
    """The recording once it is ready or failed."""
    state: dict[str, Any] = {}

    async def done() -> bool:
        response = await client.get(f"/api/recordings/{recording_id}")
        state.update(response.json())
        return state.get("status") in ("ready", "failed")

    await wait_until(done, timeout=timeout, interval=0.3)
    return state
