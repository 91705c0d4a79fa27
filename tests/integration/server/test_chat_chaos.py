"""Chaos: 20 clients each send 50 messages through two server processes sharing PostgreSQL and
Redis, dropping and resuming their connections at random, while one process is killed (-9)
half-way. Every client's history must end identical to the database's: no loss, no duplicate,
same order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import select

from server.db.engine import make_sessionmaker
from server.db.models import GroupMembership, Person, Role, SessionKind, StudyGroup
from server.services import Services
from server.tokens import RoomTokens, grants_for
from tests.conftest import TEST_SECRET
from tests.integration.server.signal_kit import free_port, open_now
from tests.integration.server.test_bus import REDIS_URL, _redis_reachable
from tests.support import require, wait_until

CLIENTS = 20
MESSAGES = 50
ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.usefixtures("demo"),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


async def add_students(services: Services, count: int) -> list[Person]:
    async with make_sessionmaker(services.engine)() as db:
        group = await db.scalar(select(StudyGroup).where(StudyGroup.name == "ИС-21-1"))
        assert group is not None
        people = [
            Person(
                login=f"chaos.{i}",
                full_name=f"Студент Хаос {i}",
                role=Role.STUDENT.value,
                branch_id=group.branch_id,
                password_hash="-",
            )
            for i in range(count)
        ]
        db.add_all(people)
        await db.flush()
        db.add_all(GroupMembership(group_id=group.id, student_id=p.id) for p in people)
        await db.commit()
        return people


@contextlib.asynccontextmanager
async def node(
    database_url: str, data_dir: Path
) -> AsyncIterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "ICE_LOOPBACK_ONLY": "1",
        "CHAT_RATE_PER_SECOND": "1000",
        "CHAT_BURST": "1000",
    }
    log = (data_dir.parent / f"node-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )

    async def listening() -> bool:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        return True

    try:
        try:
            await wait_until(listening, timeout=90, interval=0.1)
        except AssertionError:
            log.flush()
            tail = (data_dir.parent / f"node-{port}.log").read_text()[-3000:]
            raise AssertionError(f"node on {port} did not start; its log ends:\n{tail}") from None
        yield f"127.0.0.1:{port}", process
    finally:
        log.close()
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


@dataclass
class ChaosClient:
    """Sends its messages, resending unacknowledged ones by nonce after every drop."""

    name: str
    token: str
    session_id: int
    nodes: list[str]
    rng: random.Random
    history: list[dict[str, Any]] = field(default_factory=list)
    drops: int = 0

    @property
    def last_id(self) -> int:
        return self.history[-1]["id"] if self.history else 0

    def take(self, message: dict[str, Any]) -> None:
        if message["type"] == "chat_history":
            since = message["since"]
            self.history = [e for e in self.history if e["id"] <= since] + message["messages"]
        elif message["type"] == "chat":
            self.history.append(message["message"])

    async def connect(self) -> websockets.ClientConnection:
        for _attempt in range(50):
            url = f"ws://{self.rng.choice(self.nodes)}/rooms/{self.session_id}/signal"
            try:
                socket = await websockets.connect(url)
                join = {"type": "join", "token": self.token, "chat_since": self.last_id}
                await socket.send(json.dumps(join))
                return socket
            except (OSError, websockets.WebSocketException):
                await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} could not connect")

    async def run(self) -> None:
        pending = list(range(MESSAGES))
        while pending:
            socket = await self.connect()
            try:
                pending = await self._send_some(socket, pending)
            except (websockets.ConnectionClosed, OSError):
                self.drops += 1
            finally:
                with contextlib.suppress(Exception):
                    await socket.close()

    async def _send_some(
        self, socket: websockets.ClientConnection, pending: list[int]
    ) -> list[int]:
        while pending:
            index = pending[0]
            nonce = f"{self.name}-{index}"
            await socket.send(
                json.dumps({"type": "chat", "text": f"{self.name} #{index}", "nonce": nonce})
            )
            while True:
                message = json.loads(await socket.recv())
                self.take(message)
                if message["type"] == "chat_ack" and message["nonce"] == nonce:
                    break
                assert message["type"] != "error", message
            pending = pending[1:]
            if self.rng.random() < 0.08:
                self.drops += 1
                return pending
        return pending

    async def catch_up(self, last: int) -> None:
        socket = await self.connect()
        try:
            while self.last_id < last:
                self.take(json.loads(await asyncio.wait_for(socket.recv(), 10)))
        finally:
            await socket.close()


async def test_twenty_clients_two_nodes_no_loss_no_duplicate_same_order(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    require(await _redis_reachable(), "Redis on 127.0.0.1:6379")
    session = await open_now(services, "consultation")
    people = await add_students(services, CLIENTS)
    tokens = RoomTokens(TEST_SECRET, 600)
    grants = grants_for(Role.STUDENT, SessionKind.CONSULTATION, False)
    async with (
        node(database_url, tmp_path / "a") as (first, _),
        node(database_url, tmp_path / "b") as (second, doomed),
    ):
        clients = [
            ChaosClient(
                f"c{i}",
                tokens.issue_for(p.id, session, Role.STUDENT, p.full_name, grants)[0],
                session,
                [first, second],
                random.Random(i),
            )
            for i, p in enumerate(people)
        ]
        runs = asyncio.gather(*(c.run() for c in clients))

        async def kill_second_half_way() -> None:
            await wait_until(
                lambda: sum(len(c.history) for c in clients) > CLIENTS * MESSAGES * 5, timeout=120
            )
            assert not runs.done(), "the kill must come while clients are still sending"
            doomed.send_signal(signal.SIGKILL)
            for client in clients:
                client.nodes = [first]

        await asyncio.gather(runs, kill_second_half_way())
        stored = await services.chat.everything(session)
        assert len(stored) == CLIENTS * MESSAGES
        expected = [e["id"] for e in stored]
        assert expected == sorted(expected) and len(set(expected)) == len(expected)
        await asyncio.gather(*(c.catch_up(expected[-1]) for c in clients))
    for client in clients:
        assert [e["id"] for e in client.history] == expected, client.name
        assert [e["text"] for e in client.history] == [e["text"] for e in stored]
    assert sum(c.drops for c in clients) > CLIENTS
