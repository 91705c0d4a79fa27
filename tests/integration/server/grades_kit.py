"""Helpers for the grades tests: grade items on IS-201 / ИС-21-1 (tutor.akhmetova,
student1.1–1.3), grading through the API, and the plan of a term."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from server.db.engine import make_sessionmaker
from server.db.models import GradeSheetEvent
from server.services import Services
from tests.integration.server.offline_kit import course_and_group

TODAY = date.today()


async def add_item(
    services: Services,
    client: httpx.AsyncClient,
    kind: str,
    title: str,
    days: int,
    **extra: Any,
) -> int:
    """A grade item ``days`` from today; returns its id."""
    course, group = await course_and_group(services)
    body = {
        "course_id": course,
        "group_id": group,
        "kind": kind,
        "title": title,
        "held_on": (TODAY + timedelta(days=days)).isoformat(),
        **extra,
    }
    response = await client.post("/api/grade-items", json=body)
    assert response.status_code == 201, response.text
    found: int = response.json()["id"]
    return found


async def grade(
    client: httpx.AsyncClient, item: int, student: int, points: Any, **extra: Any
) -> httpx.Response:
    return await client.put(
        f"/api/grade-items/{item}/grades/{student}", json={"points": points, **extra}
    )


async def graded(client: httpx.AsyncClient, item: int, student: int, points: Any) -> None:
    response = await grade(client, item, student, points, reason="correction")
    assert response.status_code == 200, response.text


async def term(services: Services, tutor: httpx.AsyncClient) -> dict[str, int]:
    """Two tasks, РК1 in 5 days, one task, РК2 in 20 days, the exam in 30 days."""
    return {
        "task1": await add_item(services, tutor, "assignment", "Задание 1", -10),
        "test1": await add_item(services, tutor, "test", "Тест 1", -3),
        "rk1": await add_item(services, tutor, "midterm", "РК1", 5),
        "task2": await add_item(services, tutor, "practical", "Практика 2", 10),
        "rk2": await add_item(services, tutor, "midterm", "РК2", 20),
        "exam": await add_item(services, tutor, "final_exam", "Экзамен", 30),
    }


async def refusals(services: Services) -> list[str]:
    """The details of every refused change in the sheets' audit trail."""
    async with make_sessionmaker(services.engine)() as db:
        query = select(GradeSheetEvent.detail).where(GradeSheetEvent.action == "refused")
        return list(await db.scalars(query.order_by(GradeSheetEvent.id)))
