"""Off-line mode benchmark: concurrent submissions with 2 MB uploads, and inbox fan-out.

    .venv/bin/python bench/offline.py [--students 200] [--file-mb 2] [--messages 300]
                                      [--listeners 50] [--senders 10]

Starts a real server process (``python -m server serve``) on loopback with PostgreSQL
(a database of its own on postgresql://postgres@127.0.0.1:5432, created and dropped here) and
Redis (127.0.0.1:6379) when they answer, otherwise SQLite and the in-process bus (it says which).
Loads a branch, a tutor and one group of ``--students`` students taking one course, and one
assignment. Then:

1. every student signs in; then all at once each uploads one ``--file-mb`` MB PDF (one request,
   streamed to disk, checked, hashed) and submits it as final with an idempotency key;
2. ``--listeners`` students hold the inbox event stream open while the tutor sends
   ``--messages`` messages to the group (``--senders`` in flight), each fanned out to every
   member's stream; each listener notes when each message reaches it.

The last line is the summary: p99 of the submit request, upload throughput over the whole
upload phase, p99 from a message's POST to its arrival at an on-line recipient.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import httpx
import redis.asyncio as redis

from bench._pg import ADMIN_URL, admin, database_url
from bench._process import wait_healthy
from server.db.migrate import upgrade
from server.passwords import PasswordService

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "bench-password"


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def postgres_up() -> bool:
    try:
        connection = await asyncpg.connect(ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def redis_up() -> bool:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (redis.RedisError, OSError):
        return False
    finally:
        await client.aclose()
    return True


PERSON = (
    "INSERT INTO people (login, full_name, role, branch_id, password_hash, locale, active,"
    " created_at) VALUES (:login, :name, :role, 1, :hash, 'kk', true, :now)"
)
FIXTURES = [
    "INSERT INTO branches (code, name, city, is_head_office)"
    " VALUES ('KRG', 'Караганда', 'Karaganda', true)",
    "INSERT INTO study_groups (name, speciality, year, term, branch_id)"
    " VALUES ('ИС-21-1', 'Информационные системы', 2, 3, 1)",
    "INSERT INTO courses (code, discipline, credits, branch_id)"
    " VALUES ('IS-201', 'Базы данных', 5, 1)",
    "INSERT INTO course_groups (course_id, group_id) VALUES (1, 1)",
]
LATER = [
    "INSERT INTO group_memberships (group_id, student_id)"
    " SELECT 1, id FROM people WHERE role = 'student'",
    "INSERT INTO scheduled_sessions (title, course_id, group_id, tutor_id, branch_id, kind, mode,"
    " starts_at, academic_hours, status)"
    " VALUES ('Лекция', 1, 1, 1, 1, 'lecture', 'online', :now, 1, 'scheduled')",
    "INSERT INTO assignments (course_id, group_id, tutor_id, title, instructions, due_at,"
    " max_points, accepted_types, max_file_bytes, late_accepted, created_at)"
    " VALUES (1, 1, 1, 'Эссе', '', :due, 100, 'pdf', 104857600, false, :now)",
]


async def load(url: str, students: int, password_hash: str) -> None:
    """A branch, a tutor who teaches one group of students one course, and one assignment."""
    from sqlalchemy import text

    from server.db.engine import make_engine

    engine = make_engine(url)
    now = datetime.now(UTC)
    values = {"now": now, "due": now + timedelta(days=1)}
    people = [{"login": "tutor", "name": "Айгүл Ахметова", "role": "tutor"}] + [
        {"login": f"s{i}", "name": f"Студент {i}", "role": "student"} for i in range(students)
    ]
    async with engine.begin() as db:
        for statement in FIXTURES:
            await db.execute(text(statement))
        await db.execute(text(PERSON), [{**p, "hash": password_hash, "now": now} for p in people])
        for statement in LATER:
            await db.execute(text(statement), values)
    await engine.dispose()


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "server", "serve"],
            cwd=ROOT,
            env={**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def sign_in(base: str, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        base_url=base, timeout=120, limits=httpx.Limits(max_keepalive_connections=0)
    )
    response = await client.post("/api/auth/login", json={"login": login, "password": PASSWORD})
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def pdf(size: int, seed: int) -> bytes:
    return b"%PDF-1.7\n" + random.Random(seed).randbytes(size - 9)


async def one_student(client: httpx.AsyncClient, data: bytes, seed: int) -> tuple[float, float]:
    started = time.perf_counter()
    uploaded = await client.post(
        "/api/uploads", content=data, headers={"X-File-Name": f"essay-{seed}.pdf"}
    )
    uploaded.raise_for_status()
    upload_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    receipt = await client.post(
        "/api/assignments/1/submit",
        json={"upload_ids": [uploaded.json()["id"]]},
        headers={"Idempotency-Key": f"bench-submit-{seed:06d}"},
    )
    receipt.raise_for_status()
    return upload_ms, (time.perf_counter() - started) * 1000


async def submissions(students: list[httpx.AsyncClient], size: int) -> dict[str, float]:
    files = [pdf(size, i) for i in range(len(students))]
    started = time.perf_counter()
    results = await asyncio.gather(
        *(one_student(c, f, i) for i, (c, f) in enumerate(zip(students, files, strict=True)))
    )
    wall = time.perf_counter() - started
    uploads = [r[0] for r in results]
    submits = [r[1] for r in results]
    return {
        "wall_s": wall,
        "upload_p50_ms": statistics.median(uploads),
        "upload_p99_ms": p(uploads, 0.99),
        "upload_mb_s": len(students) * size / 1e6 / max(uploads) * 1000,
        "submit_p50_ms": statistics.median(submits),
        "submit_p99_ms": p(submits, 0.99),
    }


async def listen(
    client: httpx.AsyncClient, arrived: dict[str, list[float]], ready: asyncio.Event
) -> None:
    async with client.stream("GET", "/api/inbox/events", params={"since": 0}) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: ready"):
                ready.set()
            if line.startswith("data: ") and '"type":"message"' in line:
                key = json.loads(line[6:])["message"]["idempotency_key"]
                arrived.setdefault(key, []).append(time.perf_counter())


async def fanout(
    tutor: httpx.AsyncClient, listeners: list[httpx.AsyncClient], messages: int, senders: int
) -> dict[str, float]:
    arrived: dict[str, list[float]] = {}
    readies = [asyncio.Event() for _ in listeners]
    tasks = [
        asyncio.create_task(listen(c, arrived, r)) for c, r in zip(listeners, readies, strict=True)
    ]
    await asyncio.gather(*(r.wait() for r in readies))
    sent_at: dict[str, float] = {}
    gate = asyncio.Semaphore(senders)

    async def one(i: int) -> None:
        key = f"bench-msg-{i:06d}"
        async with gate:
            sent_at[key] = time.perf_counter()
            response = await tutor.post(
                "/api/inbox/messages",
                json={"to_group_id": 1, "text": f"Хабарлама {i}"},
                headers={"Idempotency-Key": key},
            )
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(messages)))
    expected = messages * len(listeners)
    for _ in range(600):
        if sum(len(v) for v in arrived.values()) >= expected:
            break
        await asyncio.sleep(0.1)
    wall = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [(t - sent_at[k]) * 1000 for k, times in arrived.items() for t in times]
    return {
        "wall_s": wall,
        "deliveries": len(latencies),
        "expected": expected,
        "fanout_p50_ms": statistics.median(latencies) if latencies else 0.0,
        "fanout_p99_ms": p(latencies, 0.99),
        "messages_per_s": messages / wall,
    }


async def main(args: argparse.Namespace) -> None:
    use_pg, use_redis = await postgres_up(), await redis_up()
    work = Path(tempfile.mkdtemp(prefix="sabaq-bench-offline-"))
    name = f"sabaq_bench_{uuid.uuid4().hex[:8]}"
    if use_pg:
        await admin(f'CREATE DATABASE "{name}"')
        url = database_url(name).replace("postgresql://", "postgresql+asyncpg://")
    else:
        url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    print(
        f"database: {'PostgreSQL' if use_pg else 'SQLite (PostgreSQL not reachable)'}; "
        f"bus: {'Redis' if use_redis else 'in-process (Redis not reachable)'}"
    )
    process = None
    try:
        await asyncio.to_thread(upgrade, url)
        hashed = await PasswordService(1, 1, 8192).hash(PASSWORD)
        await load(url, args.students, hashed)
        port = free_port()
        env = {
            "DATABASE_URL": url,
            "DATA_DIR": str(work / "data"),
            "SECRET_KEY": "bench-secret-" + "x" * 40,
            "SABAQ_ENV": "test",
            "PASSWORD_HASH_TIME_COST": "1",
            "PASSWORD_HASH_MEMORY_KIB": "8192",
            "PASSWORD_HASH_CONCURRENCY": "4",
            **({"REDIS_URL": REDIS_URL} if use_redis else {}),
        }
        process = start_server(env, port, work / "server.log")
        base = f"http://127.0.0.1:{port}"
        await wait_healthy(base, process)
        await run(base, args)
    except Exception:
        print(
            "server log (last lines):",
            *(work / "server.log").read_text().splitlines()[-15:],
            sep="\n",
            file=sys.stderr,
        )
        raise
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        if use_pg:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


async def run(base: str, args: argparse.Namespace) -> None:
    students = [await sign_in(base, f"s{i}") for i in range(args.students)]
    tutor = await sign_in(base, "tutor")
    try:
        size = int(args.file_mb * 1024 * 1024)
        sub = await submissions(students, size)
        print(
            f"submissions: {args.students} students x {size / 1e6:.1f} MB at once, "
            f"{sub['wall_s']:.2f} s wall"
        )
        print(
            f"  upload p50 {sub['upload_p50_ms']:.0f} ms, p99 {sub['upload_p99_ms']:.0f} ms; "
            f"aggregate {sub['upload_mb_s']:.0f} MB/s"
        )
        print(f"  submit p50 {sub['submit_p50_ms']:.0f} ms, p99 {sub['submit_p99_ms']:.0f} ms")
        fan = await fanout(tutor, students[: args.listeners], args.messages, args.senders)
        print(
            f"fan-out: {args.messages} messages to a group of {args.students + 1}, "
            f"{args.listeners} on-line listeners, {args.senders} in flight, "
            f"{fan['wall_s']:.2f} s wall, {fan['messages_per_s']:.0f} messages/s"
        )
        print(
            f"  delivered {fan['deliveries']}/{fan['expected']}; "
            f"POST to arrival p50 {fan['fanout_p50_ms']:.0f} ms, p99 {fan['fanout_p99_ms']:.0f} ms"
        )
        print(
            f"offline submit_p99_ms={sub['submit_p99_ms']:.0f} "
            f"upload_mb_s={sub['upload_mb_s']:.0f} message_fanout_p99_ms={fan['fanout_p99_ms']:.0f}"
        )
    finally:
        for client in [*students, tutor]:
            await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--file-mb", type=float, default=2.0)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--senders", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
