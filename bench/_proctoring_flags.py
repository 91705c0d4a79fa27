"""Students' browser flags and the server probes of bench/proctoring.py."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

FLAG_KINDS = ("tab_hidden", "window_blur", "fullscreen_exit", "copy_paste")


@dataclass
class FlagLog:
    """Flags posted during the window: send times by ``detail`` and the refusals."""

    sent: dict[str, float] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    answered: dict[str, float] = field(default_factory=dict)  # seconds until the HTTP answer


async def post_flags(
    http: httpx.AsyncClient, session: int, student: int, until: float, every: float, log: FlagLog
) -> None:
    """Flags at random moments (exponential gaps, mean ``every`` s, at least 1.1 s apart: the
    server allows a burst of 30, then one a second)."""
    rng = random.Random(student)
    n = 0
    while True:
        gap = max(1.1, rng.expovariate(1 / every))
        if time.monotonic() + gap >= until:
            return
        await asyncio.sleep(gap)
        n += 1
        detail = f"bench-{student}-{n}"
        body = {
            "kind": FLAG_KINDS[n % len(FLAG_KINDS)],
            "at": datetime.now(UTC).isoformat(),
            "detail": detail,
        }
        log.sent[detail] = sent = time.monotonic()
        answer = await http.post(f"/api/sessions/{session}/proctoring/me/flags", json=body)
        log.answered[detail] = time.monotonic() - sent
        if answer.status_code != 201:
            log.refused.append(f"{detail}: {answer.status_code} {answer.text}")


async def probe_server(base: str, until: float, delays: dict[str, list[float]]) -> None:
    """Twice a second, GET /api/me without a cookie (a 401 answered without the database: how
    long the server's event loop keeps a request waiting) and GET /healthz (one database query
    as well)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() + 0.5 < until:
            await asyncio.sleep(0.5)
            for path in ("/api/me", "/healthz"):
                sent = time.monotonic()
                await http.get(path)
                delays.setdefault(path, []).append((time.monotonic() - sent) * 1000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
