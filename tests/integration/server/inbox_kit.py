"""Helpers for inbox tests: sending with a key, and reading the Server-Sent Events stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.conftest import DEMO_PASSWORD
from tests.integration.server.offline_kit import key


async def send(client: httpx.AsyncClient, idem: str | None = None, **body: Any) -> httpx.Response:
    return await client.post(
        "/api/inbox/messages", json=body, headers={"Idempotency-Key": idem or key()}
    )


async def signed_in(base: str, login: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=f"http://{base}", timeout=30)
    response = await client.post(
        "/api/auth/login", json={"login": login, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


class EventReader:
    """The events of one open ``/api/inbox/events`` response, parsed as they arrive."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.backlog: list[dict[str, Any]] = []

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        """The next event with data: ``{"id", "event", "data"}``."""
        if self.backlog:
            return self.backlog.pop(0)
        return await self.read(timeout)

    async def read(self, timeout: float = 10) -> dict[str, Any]:
        """The next event from the wire, past the backlog."""
        async with asyncio.timeout(timeout):
            found: dict[str, Any] = {}
            async for line in self._lines:
                if not line:
                    if "data" in found:
                        return found
                    found = {}
                    continue
                name, _, value = line.partition(": ")
                if name == "data":
                    found["data"] = json.loads(value)
                elif name in ("id", "event"):
                    found[name] = value
        raise AssertionError("the event stream ended")

    async def until(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        while True:
            event = await self.next(timeout)
            if event.get("event") == kind:
                return event


@contextlib.asynccontextmanager
async def events(
    client: httpx.AsyncClient, since: int = 0, last_id: int | None = None
) -> AsyncIterator[EventReader]:
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    params = {"since": since}
    async with client.stream("GET", "/api/inbox/events", params=params, headers=headers) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(resp)
        while (event := await reader.read()).get("event") != "ready":
            reader.backlog.append(event)
        yield reader
