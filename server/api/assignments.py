"""Assignments (tutor), drafts and final submits (student), roster and ZIP archive (tutor)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from server.archive import zip_stream
from server.assignments import TUTORS
from server.files import content_disposition
from server.idempotency import HEADER, check_key
from server.offline_schemas import AssignmentIn, DraftIn, SubmitIn
from server.web import ok, path_id, read_json, services, viewer


async def list_assignments(request: Request) -> Response:
    who = await viewer(request)
    return ok({"assignments": await services(request).offline.assignments.listing(who)})


async def create(request: Request) -> Response:
    who = await viewer(request)
    who.require(*TUTORS)
    body = await read_json(request, AssignmentIn)
    return ok(await services(request).offline.assignments.create(who, body), 201)


async def get(request: Request) -> Response:
    who = await viewer(request)
    return ok(await services(request).offline.assignments.get(who, path_id(request)))


async def roster(request: Request) -> Response:
    """Who submitted, who is late, who has only a draft, who has nothing."""
    who = await viewer(request)
    return ok(await services(request).offline.assignments.roster(who, path_id(request)))


async def archive(request: Request) -> Response:
    """Each student's latest final version, as one ZIP written while it is sent."""
    who = await viewer(request)
    found = services(request).offline
    assignment, rows = await found.assignments.archive(who, path_id(request))
    entries = [
        (
            f"{login}/v{number}{'-late' if late else ''}/{name}",
            found.uploads.files / storage,
        )
        for login, number, late, name, storage in rows
    ]
    filename = f"assignment-{assignment.id}-submissions.zip"
    return StreamingResponse(
        zip_stream(_unique(entries)),
        media_type="application/zip",
        headers={"Content-Disposition": content_disposition(filename)},
    )


def _unique(entries: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """Two files of one version with one name keep both: the second becomes ``2-name``."""
    seen: set[str] = set()
    unique = []
    for name, path in entries:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            folder, _, base = name.rpartition("/")
            candidate = f"{folder}/{n}-{base}"
        seen.add(candidate)
        unique.append((candidate, path))
    return unique


async def my_submission(request: Request) -> Response:
    who = await viewer(request)
    return ok(await services(request).offline.submissions.mine(who, path_id(request)))


async def save_draft(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, DraftIn)
    submissions = services(request).offline.submissions
    return ok(await submissions.save_draft(who, path_id(request), body))


async def submit(request: Request) -> Response:
    """201 with the receipt of a new version; 200 with the original for a replayed key."""
    who = await viewer(request)
    key = check_key(request.headers.get(HEADER))
    body = await read_json(request, SubmitIn)
    submissions = services(request).offline.submissions
    receipt, created = await submissions.submit(who, path_id(request), body, key)
    return ok(receipt, 201 if created else 200)


async def get_submission(request: Request) -> Response:
    who = await viewer(request)
    return ok(await services(request).offline.submissions.get(who, path_id(request)))
