"""A live Sabaq server on loopback and real clients for it: a WebSocket signalling client
and aiortc peers that publish and subscribe through the SFU."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
import websockets
from aiortc import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from sqlalchemy import select, update
from starlette.applications import Starlette

from server.db.engine import make_sessionmaker
from server.db.models import ScheduledSession, StudyGroup, utcnow
from server.services import Services
from tests.conftest import DEMO_PASSWORD
from tests.support import wait_until

Message = dict[str, Any]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """Serves ``app`` with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, timeout=10)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def room_token(base: str, login: str, session_id: int) -> str:
    """Signs in over HTTP and asks to join, as a browser would."""
    async with httpx.AsyncClient(base_url=f"http://{base}") as http:
        signed_in = await http.post(
            "/api/auth/login", json={"login": login, "password": DEMO_PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        csrf = signed_in.json()["csrf_token"]
        joined = await http.post(f"/api/sessions/{session_id}/join", headers={"X-CSRF-Token": csrf})
        assert joined.status_code == 200, joined.text
        token: str = joined.json()["token"]
        return token


class SignalClient:
    """One WebSocket to ``/rooms/{id}/signal``; keeps every message it receives."""

    def __init__(self, socket_: websockets.ClientConnection) -> None:
        self.socket = socket_
        self.received: list[Message] = []
        self.closed_code: int | None = None
        self._reader = asyncio.create_task(self._read())
        self.on_message: list[Any] = []

    @classmethod
    async def connect(cls, base: str, session_id: int) -> SignalClient:
        socket_ = await websockets.connect(f"ws://{base}/rooms/{session_id}/signal", max_size=None)
        return cls(socket_)

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                self.received.append(message)
                for handler in list(self.on_message):
                    handler(message)
        except websockets.ConnectionClosed:
            pass
        self.closed_code = self.socket.close_code

    async def send(self, message: Message) -> None:
        await self.socket.send(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        await self.socket.send(text)

    def of(self, kind: str) -> list[Message]:
        return [m for m in self.received if m.get("type") == kind]

    async def next(self, kind: str, after: int = 0, timeout: float = 5.0) -> Message:
        await wait_until(lambda: len(self.of(kind)) > after, timeout=timeout)
        return self.of(kind)[after]

    async def closed(self, timeout: float = 5.0) -> int:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        assert self.closed_code is not None
        return self.closed_code

    async def join(self, token: str) -> Message:
        await self.send({"type": "join", "token": token})
        return await self.next("joined")

    async def close(self) -> None:
        await self.socket.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._reader, 5)


@dataclass
class Peer:
    """A participant with real aiortc connections: one to publish, one to receive."""

    signal: SignalClient
    participant_id: str = ""
    publish_pc: RTCPeerConnection | None = None
    receive_pc: RTCPeerConnection = field(default_factory=lambda: client_pc())
    frames: Counter[str] = field(default_factory=Counter)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _answering: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.signal.on_message.append(self._on_message)
        self.receive_pc.on("track", self._on_track)

    @classmethod
    async def enter(cls, base: str, session_id: int, login: str) -> Peer:
        signal = await SignalClient.connect(base, session_id)
        peer = cls(signal)
        joined = await signal.join(await room_token(base, login, session_id))
        peer.participant_id = joined["participant_id"]
        return peer

    def _on_message(self, message: Message) -> None:
        if message["type"] == "subscription_offer":
            self._tasks.append(asyncio.create_task(self._answer(message["sdp"])))

    async def _answer(self, sdp: str) -> None:
        async with self._answering:
            await self.receive_pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
            await self.receive_pc.setLocalDescription(await self.receive_pc.createAnswer())
            await self.signal.send(
                {"type": "subscription_answer", "sdp": self.receive_pc.localDescription.sdp}
            )

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.create_task(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.frames[track.kind] += 1

    async def publish(self, *, audio: bool = True, video: bool = True) -> Message:
        """Offers camera and/or microphone; returns the server's answer message."""
        self.publish_pc = client_pc()
        labels: dict[str, str] = {}
        tracks: list[tuple[MediaStreamTrack, str]] = []
        if audio:
            tracks.append((AudioStreamTrack(), "microphone"))
        if video:
            tracks.append((VideoStreamTrack(), "camera"))
        for track, _ in tracks:
            self.publish_pc.addTrack(track)
        await self.publish_pc.setLocalDescription(await self.publish_pc.createOffer())
        for transceiver, (_, label) in zip(self.publish_pc.getTransceivers(), tracks, strict=True):
            labels[transceiver.mid] = label
        before = len(self.signal.of("publish_answer"))
        await self.signal.send(
            {"type": "publish", "sdp": self.publish_pc.localDescription.sdp, "labels": labels}
        )
        answer = await self.signal.next("publish_answer", after=before)
        await self.publish_pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        return answer

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.receive_pc.close()
        if self.publish_pc is not None:
            await self.publish_pc.close()
        await self.signal.close()


def client_pc() -> RTCPeerConnection:
    """A client peer connection with `bundlePolicy: "max-bundle"`, as docs/protocol.md asks of
    every client: aiortc's default ("balanced") strands the second of two videos that one first
    offer or answer brings after an audio m-line on a transport that never starts."""
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


async def open_now(services: Services, kind: str, group: str = "ИС-21-1") -> int:
    """Moves the demo group's session of ``kind`` to start now; returns its id."""
    async with make_sessionmaker(services.engine)() as db:
        group_id = await db.scalar(select(StudyGroup.id).where(StudyGroup.name == group))
        session_id = await db.scalar(
            select(ScheduledSession.id).where(
                ScheduledSession.group_id == group_id, ScheduledSession.kind == kind
            )
        )
        await db.execute(
            update(ScheduledSession)
            .where(ScheduledSession.id == session_id)
            .values(starts_at=utcnow() - timedelta(minutes=1))
        )
        await db.commit()
    assert session_id is not None
    return session_id


@contextlib.asynccontextmanager
async def peers_in(base: str, session_id: int, *logins: str) -> AsyncIterator[list[Peer]]:
    """Enters the room as each login in turn; closes every peer that entered on the way out."""
    peers: list[Peer] = []
    try:
        for login in logins:
            peers.append(await Peer.enter(base, session_id, login))
        yield peers
    finally:
        for peer in peers:
            await peer.close()
