"""Attendance benchmark: one group's term report and its XLSX export on PostgreSQL.

    .venv/bin/python bench/attendance.py [--students 30] [--sessions 60] [--runs 7]

Builds a database of its own on postgresql://postgres@127.0.0.1:5432 (created and dropped here),
migrates it, and loads a term: one group of students, one-hour on-line sessions on successive days,
and presence events as the live room writes them (join, a heartbeat every 30 s, drop-outs with
reconnects, leave; some students absent, some late, some leaving early, some crashing without a
leave). Then it times ``AttendanceService.term_report`` (all events of the term read in one
ordered query, intervals derived in Python) and the XLSX export (report + workbook). Medians of
``--runs`` warm runs. The last line is the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench._pg import admin, database_url
from server.attendance import AttendanceService
from server.attendance_tables import term_tables
from server.auth import Viewer
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.db.models import Role
from server.export import to_xlsx

HEARTBEAT = timedelta(seconds=30)
TERM_START = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)  # 09:00 in Almaty
ZONE = zoneinfo.ZoneInfo("Asia/Almaty")
NAMES = ["Әлия Нұржанова", "Данияр Қасымов", "Мадина Ибраева", "Ерлан Серікбаев", "Сәуле Төлеген"]


async def fetch_id(db: asyncpg.Connection, query: str, *args: Any) -> int:
    value = await db.fetchval(query + " RETURNING id", *args)
    assert isinstance(value, int)
    return value


async def build_people(db: asyncpg.Connection, students: int) -> tuple[int, int, list[int]]:
    """A branch, an admin, a tutor and ``students`` students; returns (admin, tutor, students)."""
    branch = await fetch_id(
        db,
        "INSERT INTO branches (code, name, city, is_head_office) VALUES ($1,$2,$3,true)",
        "KRG",
        "Караганда",
        "Karaganda",
    )
    person = (
        "INSERT INTO people (login, full_name, role, branch_id, password_hash, locale, active,"
        " created_at) VALUES ($1, $2, $3, $4, 'x', 'kk', true, now())"
    )
    admin_id = await fetch_id(db, person, "admin", "Администратор", Role.ADMIN.value, branch)
    tutor = await fetch_id(db, person, "tutor", "Айгүл Ахметова", Role.TUTOR.value, branch)
    ids = [
        await fetch_id(db, person, f"s{i}", f"{NAMES[i % len(NAMES)]} {i}", "student", branch)
        for i in range(students)
    ]
    return admin_id, tutor, ids


async def build_term(db: asyncpg.Connection, students: int, sessions: int) -> dict[str, Any]:
    admin_id, tutor, student_ids = await build_people(db, students)
    branch = await db.fetchval("SELECT id FROM branches")
    group = await fetch_id(
        db,
        "INSERT INTO study_groups (name, speciality, year, term, branch_id) VALUES"
        " ('ИС-21-1', 'Информационные системы', 2, 3, $1)",
        branch,
    )
    course = await fetch_id(
        db,
        "INSERT INTO courses (code, discipline, credits, branch_id) VALUES"
        " ('IS-201', 'Базы данных', 5, $1)",
        branch,
    )
    await db.execute("INSERT INTO course_groups VALUES ($1, $2)", course, group)
    await db.executemany(
        "INSERT INTO group_memberships VALUES ($1, $2)", [(group, s) for s in student_ids]
    )
    starts = [TERM_START + timedelta(days=day) for day in range(sessions)]
    session_ids = [
        await fetch_id(
            db,
            "INSERT INTO scheduled_sessions (title, course_id, group_id, tutor_id, branch_id,"
            " kind, mode, starts_at, academic_hours, status, started_at, ended_at) VALUES"
            " ($1, $2, $3, $4, $5, 'lecture', 'online', $6, 1, 'ended', $6, $7)",
            f"Лекция {n + 1}",
            course,
            group,
            tutor,
            branch,
            start,
            start + timedelta(minutes=50),
        )
        for n, start in enumerate(starts)
    ]
    return {
        "admin": admin_id,
        "branch": branch,
        "group": group,
        "students": student_ids,
        "sessions": list(zip(session_ids, starts, strict=True)),
    }


def presence(start: datetime, rng: random.Random) -> list[tuple[str, datetime]]:
    """One student's events in one 50-minute session."""
    if rng.random() < 0.08:
        return []
    at = start + timedelta(minutes=rng.choice([rng.uniform(-8, 2), rng.uniform(2, 25)]))
    leave = start + timedelta(minutes=rng.choice([50.5, rng.uniform(25, 50)]))
    drop = at + (leave - at) * rng.random() if rng.random() < 0.3 else None
    found = [("join", at)]
    while at + HEARTBEAT < leave:
        at += HEARTBEAT
        found.append(("heartbeat", at))
        if drop is not None and at >= drop:
            at += timedelta(seconds=rng.choice([20, 45, 180, 420]))
            found.append(("join", at))
            drop = None
    if rng.random() < 0.95:  # otherwise: the server crashed, no leave
        found.append(("leave", leave))
    return found


async def load_events(db: asyncpg.Connection, term: dict[str, Any], seed: int) -> int:
    rng = random.Random(seed)
    records = [
        (session_id, student, kind, at)
        for session_id, start in term["sessions"]
        for student in term["students"]
        for kind, at in presence(start, rng)
    ]
    await db.copy_records_to_table(
        "presence_events", records=records, columns=["session_id", "person_id", "kind", "at"]
    )
    await db.execute("ANALYZE")
    return len(records)


async def timed(work: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float, float]:
    """(cold, median, best) in milliseconds."""
    samples = []
    for _ in range(runs + 1):
        begin = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - begin) * 1000)
    warm = samples[1:]
    return samples[0], statistics.median(warm), min(warm)


async def measure(url: str, term: dict[str, Any], runs: int) -> tuple[float, float]:
    engine = make_engine(url)
    service = AttendanceService(make_sessionmaker(engine), 60, now=lambda: datetime.now(UTC))
    viewer = Viewer(term["admin"], Role.ADMIN, term["branch"], "Администратор", None, "kk", "", 0)
    report = await service.term_report(viewer, term["group"], None, None)
    statuses = [c.status.value for c in report.cells.values() if c.status]
    print("statuses:", {s: statuses.count(s) for s in sorted(set(statuses))})

    async def report_only() -> object:
        return await service.term_report(viewer, term["group"], None, None)

    async def export() -> object:
        found = await service.term_report(viewer, term["group"], None, None)
        return to_xlsx(term_tables(found, ZONE), ZONE)

    size = len(await export())  # type: ignore[arg-type]
    cold, report_ms, best = await timed(report_only, runs)
    print(f"term report: cold {cold:.0f} ms, median {report_ms:.0f} ms, best {best:.0f} ms")
    cold, export_ms, best = await timed(export, runs)
    print(f"xlsx export: cold {cold:.0f} ms, median {export_ms:.0f} ms, best {best:.0f} ms")
    print(f"xlsx size: {size} bytes")
    await engine.dispose()
    return report_ms, export_ms


async def main(args: argparse.Namespace) -> None:
    name = f"sabaq_bench_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        await asyncio.to_thread(upgrade, url.replace("postgresql://", "postgresql+asyncpg://"))
        db = await asyncpg.connect(url)
        try:
            began = time.perf_counter()
            term = await build_term(db, args.students, args.sessions)
            count = await load_events(db, term, args.seed)
            print(
                f"term: {args.students} students, {args.sessions} sessions, {count} events "
                f"(built in {time.perf_counter() - began:.1f} s)"
            )
        finally:
            await db.close()
        engine_url = url.replace("postgresql://", "postgresql+asyncpg://")
        report_ms, export_ms = await measure(engine_url, term, args.runs)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"attendance term_report_ms={report_ms:.0f} export_xlsx_ms={export_ms:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
