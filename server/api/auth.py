"""Sign-in, sign-out and the signed-in person."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from server.api import views
from server.auth import SESSION_COOKIE
from server.errors import Forbidden
from server.schemas import LoginIn, MeUpdate
from server.web import ok, read_json, services, viewer


async def login(request: Request) -> Response:
    _check_same_origin(request)
    body = await read_json(request, LoginIn)
    found = services(request)
    client = request.client.host if request.client else "unknown"
    token, who = await found.auth.login(
        body.login, body.password, client, request.headers.get("user-agent", "")
    )
    person = await found.directory.person(who, who.person_id)
    response = ok({"person": views.person(person), "csrf_token": who.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=found.settings.session_ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=found.settings.secure_cookies,
        path="/",
    )
    return response


def _check_same_origin(request: Request) -> None:
    """Refuse sign-ins posted from another site (login CSRF); browsers always send Origin."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("cross-site sign-in refused")


async def logout(request: Request) -> Response:
    who = await viewer(request)
    await services(request).auth.logout(who)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: Request) -> Response:
    who = await viewer(request)
    person = await services(request).directory.person(who, who.person_id)
    return ok({"person": views.person(person), "csrf_token": who.csrf_token})


async def update_me(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, MeUpdate)
    person = await services(request).directory.update_me(who, body)
    return ok({"person": views.person(person), "csrf_token": who.csrf_token})
