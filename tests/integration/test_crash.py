"""A server process killed (-9) mid-session: the chat history is intact and the attendance
interval of a connected student ends at their last heartbeat, not at the crash or restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import websockets
from sqlalchemy import select

from server.db.engine import make_sessionmaker
from server.db.models import PresenceEvent, Role, SessionKind, utcnow
from server.presence import derive
from server.services import Services
from server.tokens import RoomTokens, grants_for
from tests.conftest import TEST_SECRET
from tests.integration.server.lookup import person_id
from tests.integration.server.signal_kit import free_port, open_now
from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("demo")


async def events_of(services: Services, session: int, person: int) -> list[tuple[object, str]]:
    async with make_sessionmaker(services.engine)() as db:
        rows = await db.execute(
            select(PresenceEvent.at, PresenceEvent.kind)
            .where(PresenceEvent.session_id == session, PresenceEvent.person_id == person)
            .order_by(PresenceEvent.at, PresenceEvent.id)
        )
        return [(at, kind) for at, kind in rows]


async def test_kill_9_keeps_chat_and_closes_presence_at_the_last_heartbeat(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    session = await open_now(services, "consultation")
    student = await person_id(services, "student1.1")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": str(tmp_path),
        "PORT": str(port),
        "ICE_LOOPBACK_ONLY": "1",
        "HEARTBEAT_SECONDS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "server", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        grants = grants_for(Role.STUDENT, SessionKind.CONSULTATION, False)
        token, _ = RoomTokens(TEST_SECRET, 300).issue_for(
            student, session, Role.STUDENT, "Алия Нуржанова", grants
        )

        async def connect() -> websockets.ClientConnection:
            return await websockets.connect(f"ws://127.0.0.1:{port}/rooms/{session}/signal")

        for _attempt in range(300):
            try:
                socket = await connect()
                break
            except OSError:
                await asyncio.sleep(0.1)
        await socket.send(json.dumps({"type": "join", "token": token}))
        for i in range(3):
            await socket.send(json.dumps({"type": "chat", "text": f"сұрақ {i}", "nonce": f"n{i}"}))
        acks = 0
        while acks < 3:
            acks += json.loads(await socket.recv())["type"] == "chat_ack"

        async def two_heartbeats() -> bool:
            kinds = [kind for _, kind in await events_of(services, session, student)]
            return kinds.count("heartbeat") >= 2

        await wait_until(two_heartbeats, timeout=15, interval=0.2)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        killed_at = utcnow()
    finally:
        if server.poll() is None:
            server.kill()
    chat = await services.chat.everything(session)
    assert [m["text"] for m in chat] == ["сұрақ 0", "сұрақ 1", "сұрақ 2"]
    events = await events_of(services, session, student)
    kinds = [kind for _, kind in events]
    assert kinds[0] == "join" and "leave" not in kinds
    last_heartbeat = max(at for at, kind in events if kind == "heartbeat")
    intervals = derive(events, timedelta(seconds=60))  # type: ignore[arg-type]
    assert len(intervals) == 1
    assert intervals[0].start == events[0][0]
    assert intervals[0].end == last_heartbeat <= killed_at
    assert not intervals[0].open
