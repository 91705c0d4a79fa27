"""Helpers for the off-line mode tests: files of each type, uploads, assignments."""

from __future__ import annotations

import hashlib
import io
import itertools
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select

from server.db.engine import make_sessionmaker
from server.db.models import Course, StudyGroup
from server.services import Services
from tests.integration.server.lookup import person_id

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 50 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_keys = itertools.count(1)


def key() -> str:
    return f"key-{next(_keys):06d}"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def upload(
    client: httpx.AsyncClient, name: str, data: bytes, assignment_id: int | None = None
) -> httpx.Response:
    params = {"assignment_id": assignment_id} if assignment_id else None
    return await client.post(
        "/api/uploads",
        content=data,
        headers={"X-File-Name": quote(name, safe=""), "Content-Type": "application/octet-stream"},
        params=params,
    )


async def uploaded(client: httpx.AsyncClient, name: str, data: bytes) -> int:
    response = await upload(client, name, data)
    assert response.status_code == 201, response.text
    found: int = response.json()["id"]
    return found


async def course_and_group(services: Services) -> tuple[int, int]:
    """IS-201 and ИС-21-1 of the demo data: taught by tutor.akhmetova to student1.*"""
    async with make_sessionmaker(services.engine)() as db:
        course = await db.scalar(select(Course.id).where(Course.code == "IS-201"))
        group = await db.scalar(select(StudyGroup.id).where(StudyGroup.name == "ИС-21-1"))
    assert course is not None and group is not None
    return course, group


async def set_assignment(
    services: Services, tutor: httpx.AsyncClient, **overrides: Any
) -> dict[str, Any]:
    course, group = await course_and_group(services)
    body: dict[str, Any] = {
        "course_id": course,
        "group_id": group,
        "title": "Нормализация: эссе",
        "instructions": "Write about 3NF.",
        "due_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        "accepted_types": ["pdf", "docx"],
        "max_file_bytes": 1_000_000,
        "late_accepted": False,
        **overrides,
    }
    response = await tutor.post("/api/assignments", json=body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def submit(
    client: httpx.AsyncClient, assignment_id: int, body: dict[str, Any], idem: str
) -> httpx.Response:
    return await client.post(
        f"/api/assignments/{assignment_id}/submit", json=body, headers={"Idempotency-Key": idem}
    )


async def login_id(services: Services, login: str) -> int:
    return await person_id(services, login)
