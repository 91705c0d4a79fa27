"""The composition root: builds services from settings, wires routes, middleware and lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.bus import Bus, make_bus
from server.errors import AppError, RateLimited
from server.headers import SecurityHeaders
from server.routes import all_routes
from server.services import Services, build_services
from server.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings, bus: Bus | None = None) -> Starlette:
    services = build_services(settings, bus or make_bus(settings.redis_url))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await services.offline.start()
        services.recordings.start_background()
        services.proctoring_retention.start_background()
        try:
            yield
        finally:
            await services.close()

    app = Starlette(
        routes=all_routes(),
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={AppError: _app_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.services = services
    return app


async def _app_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    body = {"error": {"code": code, "message": exc.detail}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def services_of(app: Starlette) -> Services:
    found: Services = app.state.services
    return found
