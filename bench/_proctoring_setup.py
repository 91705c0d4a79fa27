"""Set-up and process bookkeeping for bench/proctoring.py: the database, the server process
(and the recorder processes it spawns), signing in and checking in over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from bench._pg import admin, database_url
from bench._process import BenchFailure, cpu_seconds
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.db.models import GroupMembership, Person, ScheduledSession, StudyGroup, utcnow
from server.passwords import PasswordService
from server.seed import seed_demo
from tests.integration.server.proctoring_kit import CHECKS, frame

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "sabaq-demo"
GROUP = "ИС-21-1"


# --- set-up ---------------------------------------------------------------------------------


async def create_postgres_database() -> tuple[str, str]:
    """A fresh database for one run: (its name, its DATABASE_URL)."""
    name = f"sabaq_bench_proctoring_{os.getpid()}"
    await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin(f"CREATE DATABASE {name}")
    return name, database_url(name)


async def prepare_database(database_url: str, students: int) -> tuple[int, list[str]]:
    """Demo data (cheap password hashes), students up to ``students`` in the demo group, its
    exam moved to now. Returns (session id, student logins)."""
    await asyncio.to_thread(upgrade, database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessionmaker(engine)
        await seed_demo(sessions, PasswordService(1, 1, 8192), PASSWORD)
        async with sessions() as db:
            group = await db.scalar(select(StudyGroup).where(StudyGroup.name == GROUP))
            assert group is not None
            members = list(
                await db.scalars(
                    select(Person)
                    .join(GroupMembership, GroupMembership.student_id == Person.id)
                    .where(GroupMembership.group_id == group.id)
                    .order_by(Person.id)
                )
            )
            template = members[0]
            for i in range(len(members), students):
                extra = Person(
                    login=f"bench.student{i + 1}",
                    full_name=f"Студент {i + 1}",
                    role=template.role,
                    branch_id=template.branch_id,
                    password_hash=template.password_hash,
                    locale="kk",
                )
                db.add(extra)
                await db.flush()
                db.add(GroupMembership(group_id=group.id, student_id=extra.id))
                members.append(extra)
            session_id = await db.scalar(
                select(ScheduledSession.id).where(
                    ScheduledSession.group_id == group.id, ScheduledSession.kind == "exam"
                )
            )
            assert session_id is not None
            await db.execute(
                update(ScheduledSession)
                .where(ScheduledSession.id == session_id)
                .values(starts_at=utcnow() - timedelta(minutes=1))
            )
            await db.commit()
            return session_id, [p.login for p in members[:students]]
    finally:
        await engine.dispose()


# Run only when the server's cap of 16 media sections per SDP refuses the proctor's answer
# (30 streams): the same server, with that one limit raised in its process.
RAISED_CAP_SERVER = """
import sys
import media.sdp
defaults = list(media.sdp.SdpLimits.__init__.__defaults__)
defaults[1] = max(defaults[1], int(sys.argv[1]))
media.sdp.SdpLimits.__init__.__defaults__ = tuple(defaults)
from server.cli import main
sys.exit(main(["serve"]))
"""


def start_server(
    work: Path, port: int, sections: int | None, database_url: str | None
) -> subprocess.Popen[bytes]:
    """``python -m server serve`` on ``port`` with its data under ``work`` (and its database at
    ``database_url``, else SQLite there); with ``sections``, the same server with the SDP
    media-section cap raised to that (see RAISED_CAP_SERVER)."""
    env = {
        **os.environ,
        "DATA_DIR": str(work / "data"),
        "RECORDINGS_DIR": str(work / "recordings"),
        "SABAQ_ENV": "development",
        "PORT": str(port),
        "ICE_LOOPBACK_ONLY": "1",
        "PROCTORING_REQUIRED": "1",
        "RECORDING_AUTO": "1",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "8192",
    }
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    log = (work / "server.log").open("wb")
    command = [sys.executable, "-m", "server", "serve"]
    if sections is not None:
        command = [sys.executable, "-c", RAISED_CAP_SERVER, str(sections)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)


async def sign_in(base: str, login: str) -> tuple[httpx.AsyncClient, int]:
    """A client with the session cookie and CSRF header; returns it and the person id."""
    http = httpx.AsyncClient(base_url=base, timeout=30)
    answer = await http.post("/api/auth/login", json={"login": login, "password": PASSWORD})
    if answer.status_code != 200:
        raise BenchFailure(f"login {login}: {answer.status_code} {answer.text}")
    http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return http, int(answer.json()["person"]["id"])


async def expect(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise BenchFailure(f"{what}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def check_in(http: httpx.AsyncClient, session: int) -> None:
    """Photos (a generated face JPEG and a PNG 'document') and the media checks."""
    base = f"/api/sessions/{session}/proctoring/me"
    jpeg = {"Content-Type": "image/jpeg"}
    await expect(await http.put(f"{base}/photos/face", content=frame(1), headers=jpeg), "face")
    png = {"Content-Type": "image/png"}
    document = frame(0, ".png")
    await expect(await http.put(f"{base}/photos/document", content=document, headers=png), "doc")
    await expect(await http.post(f"{base}/submit", json=CHECKS), "submit")


# --- processes ---


def children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid``: {pid: command line}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError):
            continue
    return {p: c.decode(errors="replace") for p, c in found.items()}


def recorder_cpu(server_pid: int) -> dict[int, float]:
    """CPU seconds of each of the server's recorder processes, by pid."""
    found = {}
    for pid, command in children(server_pid).items():
        if "recordings.recorder" in command:
            try:
                found[pid] = cpu_seconds(pid)
            except OSError:
                continue
    return found


def recorder_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the recorders spent between two readings (one started in between counts
    from zero; one that ended in between is lost: the bench says how many there were)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


async def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Kills the server (SIGKILL: a graceful stop would close the exam room and start
    post-processing the recording, minutes of CPU nobody measures), then the recorder it spawned,
    by pid, if that pid still runs it."""
    spawned = children(server.pid)
    server.kill()
    await asyncio.to_thread(server.wait)
    for pid, command in spawned.items():
        if "recordings." in command and _command(pid) == command:
            os.kill(pid, signal.SIGKILL)


def _command(pid: int) -> str | None:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode(
            errors="replace"
        )
    except OSError:
        return None
