"""Helpers for thin handlers: services, the viewer, capped JSON bodies, path and query values."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from server.auth import CSRF_HEADER, SESSION_COOKIE, AuthService, Viewer
from server.errors import BadRequest, NotFound, TooLarge, ValidationFailed
from server.services import Services

ModelT = TypeVar("ModelT", bound=BaseModel)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_PAGE = 500


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def viewer(request: Request) -> Viewer:
    """The signed-in person; state-changing requests must also carry the CSRF token."""
    found = await services(request).auth.resolve(request.cookies.get(SESSION_COOKIE))
    if request.method not in SAFE_METHODS:
        AuthService.check_csrf(found, request.headers.get(CSRF_HEADER))
    return found


async def read_json(request: Request, model: type[ModelT]) -> ModelT:
    """Parse the body as ``model``: 400 bad JSON, 413 too large, 422 wrong shape."""
    raw = await _read_capped(request, services(request).settings.max_json_bytes)
    if "application/json" not in request.headers.get("content-type", ""):
        raise BadRequest("send the body as application/json")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationFailed("the body has invalid fields", _problems(exc)) from None


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _problems(exc: PydanticValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors(include_url=False, include_input=False)
    ]


def path_id(request: Request, name: str = "id") -> int:
    raw = request.path_params[name]
    if not isinstance(raw, int) or not 1 <= raw <= 2**31 - 1:
        raise NotFound(f"no such {name}")
    return raw


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(f"query parameter {name} must be a whole number {low}..{high}")
    return int(raw)


def query_time(request: Request, name: str) -> datetime | None:
    """An ISO 8601 time with a zone offset from the query string, or None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be an ISO 8601 time") from None
    if value.tzinfo is None:
        raise ValidationFailed(f"{name} must carry a zone offset")
    return value


def page(request: Request) -> tuple[int, int]:
    """limit and offset from the query string."""
    return (
        query_int(request, "limit", 100, 1, MAX_PAGE),
        query_int(request, "offset", 0, 0, 10_000_000),
    )


def ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)
