"""Helpers for proctoring tests: images made with OpenCV (cartoon faces the Haar cascade finds),
the exam of the demo group, and a student checked in and waiting for the proctor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import cv2
import httpx
import numpy

from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.signal_kit import open_now

CHECKS = {"camera": True, "microphone": True, "screen": True, "displaySurface": "monitor"}


def _face(image: Any, cx: int, cy: int, size: int) -> None:
    cv2.ellipse(image, (cx, cy), (int(size * 0.8), size), 0, 0, 360, 200, -1)
    for dx in (-0.35, 0.35):
        eye = (int(cx + dx * size), int(cy - 0.25 * size))
        cv2.ellipse(image, eye, (int(0.18 * size), int(0.09 * size)), 0, 0, 360, 40, -1)
        brow_y = int(cy - 0.45 * size)
        left, right = int(cx + dx * size - 0.2 * size), int(cx + dx * size + 0.2 * size)
        cv2.line(image, (left, brow_y), (right, brow_y), 60, max(2, int(0.05 * size)))
    cv2.line(image, (cx, int(cy - 0.1 * size)), (cx, int(cy + 0.2 * size)), 150, 6)
    mouth = (cx, int(cy + 0.5 * size))
    cv2.ellipse(image, mouth, (int(0.3 * size), int(0.08 * size)), 0, 0, 360, 70, -1)


def frame(faces: int, kind: str = ".jpg") -> bytes:
    """A 640x480 camera frame with 0, 1 or 2 faces, encoded as JPEG (or PNG)."""
    image = numpy.full((480, 640), 110, numpy.uint8)
    if faces == 1:
        _face(image, 320, 240, 100)
    elif faces == 2:
        _face(image, 160, 240, 100)
        _face(image, 480, 240, 100)
    image = cv2.GaussianBlur(image, (5, 5), 0)
    ok, encoded = cv2.imencode(kind, image)
    assert ok
    return bytes(encoded.tobytes())


async def exam(services: Services) -> int:
    return await open_now(services, "exam")


async def exam_desk(
    services: Services, client_for: ClientFactory
) -> tuple[int, httpx.AsyncClient, httpx.AsyncClient]:
    """The demo exam with student1.1 and the proctor signed in: (session, student, proctor)."""
    session = await exam(services)
    return session, await client_for("student1.1"), await client_for("proctor")


def now_iso(delta: float = 0) -> str:
    """Now plus ``delta`` seconds as an ISO time with its zone, as the pages send flag times."""
    return (datetime.now(UTC) + timedelta(seconds=delta)).isoformat()


def base(session_id: int) -> str:
    return f"/api/sessions/{session_id}/proctoring"


async def put_photo(
    client: httpx.AsyncClient, session_id: int, kind: str, body: bytes, media: str = "image/jpeg"
) -> httpx.Response:
    return await client.put(
        f"{base(session_id)}/me/photos/{kind}", content=body, headers={"Content-Type": media}
    )


async def checked_in(client: httpx.AsyncClient, session_id: int) -> dict[str, Any]:
    """Photos taken, checks passed, waiting for the proctor's decision."""
    assert (await put_photo(client, session_id, "face", frame(1))).status_code == 200
    png = frame(0, ".png")
    assert (await put_photo(client, session_id, "document", png, "image/png")).status_code == 200
    submitted = await client.post(f"{base(session_id)}/me/submit", json=CHECKS)
    assert submitted.status_code == 200, submitted.text
    body: dict[str, Any] = submitted.json()
    assert body["state"] == "awaiting_identity"
    return body


async def in_exam(student: httpx.AsyncClient, proctor: httpx.AsyncClient, session: int) -> int:
    """Checks the student in, the proctor approves and the student starts; returns its id."""
    student_id: int = (await checked_in(student, session))["student_id"]
    approved = await proctor.post(f"{base(session)}/students/{student_id}/approve")
    assert approved.status_code == 200, approved.text
    started = await student.post(f"{base(session)}/me/start")
    assert started.status_code == 200 and started.json()["state"] == "in_exam", started.text
    return student_id
