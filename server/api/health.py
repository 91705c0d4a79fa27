"""Liveness with the database (and the bus, when Redis is configured) checked."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.db.engine import check_database
from server.web import services

log = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 5


async def healthz(request: Request) -> Response:
    found = services(request)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await check_database(found.engine)
            await found.bus.check()
    except Exception as exc:  # any failure of a dependency means "not healthy"
        log.warning("health check failed: %s", exc)
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})
