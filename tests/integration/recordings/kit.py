"""Helpers for recording tests: decoding files, waiting for a recording to settle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import httpx
from aiortc import (
    MediaStreamTrack,
    RTCRtpTransceiver,
    RTCSessionDescription,
    VideoStreamTrack,
)

from recordings.layout import read_index
from server.db.engine import make_sessionmaker
from server.db.models import Recording
from server.services import Services
from tests.integration.server.signal_kit import Peer, client_pc
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


async def recording_started(client: httpx.AsyncClient, session_id: int) -> Any:
    """The session's recordings listing once a recording is running."""
    listed: dict[str, Any] = {}

    async def recording_now() -> bool:
        listed.update((await client.get(f"/api/sessions/{session_id}/recordings")).json())
        return bool(listed["recording_now"])

    await wait_until(recording_now, timeout=10)
    return listed


class ColourTrack(VideoStreamTrack):
    """A camera or screen that shows one colour (YUV), small so that encoding costs little."""

    def __init__(self, colour: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> None:
        super().__init__()
        self._colour, self._size = colour, size

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(self._size[0], self._size[1], "yuv420p")
        for plane, value in zip(frame.planes, self._colour, strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


class Sender:
    """A publish connection that adds and stops tracks by renegotiating, as a browser does when
    screen sharing starts and stops. One offer may bring several tracks (microphone, camera and
    screen at once): the connection is max-bundle, as docs/protocol.md asks."""

    def __init__(self, peer: Peer) -> None:
        self._peer = peer
        self.pc = client_pc()
        self._labels: dict[int, str] = {}
        peer.publish_pc = self.pc  # closed with the peer

    def add(self, track: MediaStreamTrack, label: str) -> RTCRtpTransceiver:
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        self._labels[len(self.pc.getTransceivers()) - 1] = label
        return transceiver

    async def offer(self) -> dict[str, Any]:
        """Sends the current offer; returns the server's answer once applied."""
        signal = self._peer.signal
        await self.pc.setLocalDescription(await self.pc.createOffer())
        transceivers = self.pc.getTransceivers()
        labels = {transceivers[i].mid: label for i, label in self._labels.items()}
        before = len(signal.of("publish_answer"))
        await signal.send(
            {"type": "publish", "sdp": self.pc.localDescription.sdp, "labels": labels}
        )
        answer = await signal.next("publish_answer", after=before, timeout=10)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        return answer


def closed_segments(capture: Path) -> list[dict[str, Any]]:
    """The index's ``close`` records, in order."""
    return [r for r in read_index(capture / "index.jsonl") if r.get("event") == "close"]


async def recording_row(services: Services, session_id: int, **values: Any) -> int:
    """A recording row made directly in the database (a past or interrupted recording)."""
    async with make_sessionmaker(services.engine)() as db:
        recording = Recording(session_id=session_id, **values)
        db.add(recording)
        await db.flush()
        recording.folder = f"session-{session_id}/rec-{recording.id}"
        await db.commit()
        return recording.id
