"""People and branches."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api import views
from server.db.models import Role
from server.errors import ValidationFailed
from server.schemas import BranchIn, PersonIn, PersonUpdate
from server.web import ok, page, path_id, query_int, read_json, services, viewer


async def list_branches(request: Request) -> Response:
    await viewer(request)
    return ok({"branches": [views.branch(b) for b in await services(request).directory.branches()]})


async def create_branch(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, BranchIn)
    return ok(views.branch(await services(request).directory.create_branch(who, body)), 201)


async def list_people(request: Request) -> Response:
    who = await viewer(request)
    limit, offset = page(request)
    role = _role(request.query_params.get("role"))
    branch_id = query_int(request, "branch_id", 0, 0, 2**31 - 1) or None
    found = await services(request).directory.people(who, role, branch_id, limit, offset)
    return ok({"people": [views.person(p) for p in found], "limit": limit, "offset": offset})


def _role(raw: str | None) -> Role | None:
    if raw is None:
        return None
    try:
        return Role(raw)
    except ValueError:
        raise ValidationFailed(f"unknown role {raw!r}") from None


async def get_person(request: Request) -> Response:
    who = await viewer(request)
    return ok(views.person(await services(request).directory.person(who, path_id(request))))


async def create_person(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, PersonIn)
    return ok(views.person(await services(request).directory.create_person(who, body)), 201)


async def update_person(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, PersonUpdate)
    person = await services(request).directory.update_person(who, path_id(request), body)
    return ok(views.person(person))
