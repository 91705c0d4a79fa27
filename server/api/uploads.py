"""One-request uploads (the raw body is the file; its name in ``X-File-Name``) and downloads.

Raw bodies rather than multipart: the bytes stream straight to disk under a hard cap with no
parser in between (Starlette's multipart parser does not cap file parts), ``fetch(url, {body:
file})`` sends a File as is, and one request is one file, so a cut-off request never half-stores
a form. The name travels percent-encoded UTF-8 (``encodeURIComponent``), since headers are Latin-1.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from sqlalchemy import select
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response

from server.assignments import types_of
from server.auth import Viewer
from server.clock import iso_utc
from server.db.engine import make_sessionmaker
from server.db.models import Upload
from server.errors import BadRequest, NotFound, ValidationFailed
from server.file_access import readable_uploads
from server.files import KNOWN_TYPES, content_disposition
from server.uploads import Limits
from server.web import ok, path_id, query_int, services, viewer

NAME_HEADER = "x-file-name"


def upload_json(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "name": upload.name,
        "size": upload.length,
        "received": upload.received,
        "state": upload.state,
        "sha256": upload.sha256,
        "media_type": upload.media_type,
        "created_at": iso_utc(upload.created_at),
        "completed_at": iso_utc(upload.completed_at),
        "expires_at": iso_utc(upload.expires_at),
        "url": f"/api/uploads/{upload.id}/content",
    }


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise BadRequest("Content-Length must be a whole number")
    return int(raw)


def file_name(raw: str | None) -> str:
    if raw is None:
        raise ValidationFailed("send the file name in the X-File-Name header (percent-encoded)")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise ValidationFailed("X-File-Name must be percent-encoded UTF-8") from None


async def limits_for(request: Request, who: Viewer, assignment_id: int) -> Limits:
    """The server's limits, or those of an assignment (which the viewer must see)."""
    found = services(request)
    ceiling = found.settings.max_upload_bytes
    if not assignment_id:
        return Limits(ceiling, tuple(sorted(KNOWN_TYPES)))
    sessions = make_sessionmaker(found.engine)
    async with sessions() as db:
        assignment = await found.offline.assignments.visible(db, who, assignment_id)
    return Limits(min(ceiling, assignment.max_file_bytes), types_of(assignment))


async def create_upload(request: Request) -> Response:
    """Streams the body to disk: 201 with id and SHA-256; 413 past the cap; 422 bad name/type."""
    who = await viewer(request)
    name = file_name(request.headers.get(NAME_HEADER))
    assignment_id = query_int(request, "assignment_id", 0, 0, 2**31 - 1)
    limits = await limits_for(request, who, assignment_id)
    try:
        upload = await services(request).offline.uploads.store(
            who.person_id, name, declared_length(request), request.stream(), limits
        )
    except ClientDisconnect:
        return Response(status_code=400)
    return ok(upload_json(upload), 201)


async def _readable(request: Request) -> Upload:
    who = await viewer(request)
    upload_id = path_id(request)
    async with make_sessionmaker(services(request).engine)() as db:
        found = await db.scalar(select(Upload).where(Upload.id == upload_id, readable_uploads(who)))
    if found is None:
        raise NotFound(f"upload {upload_id} not found")
    return found


async def get_upload(request: Request) -> Response:
    return ok(upload_json(await _readable(request)))


async def download(request: Request) -> Response:
    """The file as an attachment under the name it was sent with (RFC 6266), never sniffed."""
    upload = await _readable(request)
    return FileResponse(
        services(request).offline.uploads.path(upload),
        media_type=upload.media_type,
        headers={
            "Content-Disposition": content_disposition(upload.name),
            "X-Content-Type-Options": "nosniff",
        },
    )
