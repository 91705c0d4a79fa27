"""Resumable uploads: the core of tus 1.0 with the creation, expiration and termination
extensions (https://tus.io/protocols/resumable-upload).

``POST /api/tus`` (``Upload-Length``, ``Upload-Metadata: filename <base64>[,assignment_id
<base64>]``) creates an upload and answers its ``Location``; ``HEAD`` tells the offset;
``PATCH`` (``application/offset+octet-stream``, ``Upload-Offset``) appends from the last byte
received; ``DELETE`` drops a partial upload. Every answer, errors too, carries
``Tus-Resumable``. The finished upload's id is the one submissions and messages list.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from email.utils import format_datetime
from typing import ClassVar

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.api.uploads import limits_for
from server.db.models import Upload, UploadState
from server.errors import AppError, BadRequest
from server.web import path_id, services, viewer

VERSION = "1.0.0"
EXTENSIONS = "creation,expiration,termination"
OFFSET_TYPE = "application/offset+octet-stream"
Handler = Callable[[Request], Awaitable[Response]]


class TusVersionMismatch(AppError):
    status = 412
    code = "tus_version"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


def tus_routes() -> list[BaseRoute]:
    one = "/api/tus/{id:int}"
    return [
        Route("/api/tus", options, methods=["OPTIONS"]),
        Route("/api/tus", _tus(create), methods=["POST"]),
        Route(one, options, methods=["OPTIONS"]),
        Route(one, _tus(head), methods=["HEAD"]),
        Route(one, _tus(patch), methods=["PATCH"]),
        Route(one, _tus(terminate), methods=["DELETE"]),
    ]


def _tus(handler: Handler) -> Handler:
    """Checks ``Tus-Resumable`` and puts it on every answer, errors included."""

    async def wrapped(request: Request) -> Response:
        try:
            if request.headers.get("tus-resumable") != VERSION:
                raise TusVersionMismatch(f"send Tus-Resumable: {VERSION}")
            response = await handler(request)
        except AppError as exc:
            response = JSONResponse(exc.to_json(), status_code=exc.status)
            if isinstance(exc, TusVersionMismatch):
                response.headers["Tus-Version"] = VERSION
        response.headers["Tus-Resumable"] = VERSION
        return response

    return wrapped


async def options(request: Request) -> Response:
    return Response(
        status_code=204,
        headers={
            "Tus-Resumable": VERSION,
            "Tus-Version": VERSION,
            "Tus-Extension": EXTENSIONS,
            "Tus-Max-Size": str(services(request).settings.max_upload_bytes),
        },
    )


def _number(request: Request, name: str) -> int:
    raw = request.headers.get(name)
    if raw is None or not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"send {name} as a whole number of bytes")
    return int(raw)


class Metadata:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs."""

    allowed: ClassVar[frozenset[str]] = frozenset({"filename", "name", "filetype", "assignment_id"})

    @staticmethod
    def parse(raw: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in raw.split(","))):
            key, _, value = pair.partition(" ")
            try:
                found[key] = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise BadRequest(f"Upload-Metadata {key!r} is not base64 of UTF-8") from None
        return found


def _headers(upload: Upload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.received), "Cache-Control": "no-store"}
    if upload.state == UploadState.PARTIAL and upload.expires_at is not None:
        headers["Upload-Expires"] = format_datetime(upload.expires_at, usegmt=True)
    return headers


async def create(request: Request) -> Response:
    who = await viewer(request)
    if "upload-defer-length" in request.headers:
        raise BadRequest("Upload-Defer-Length is not supported; send Upload-Length")
    length = _number(request, "upload-length")
    meta = Metadata.parse(request.headers.get("upload-metadata", ""))
    name = meta.get("filename") or meta.get("name") or ""
    assignment = meta.get("assignment_id", "0")
    if not assignment.isdigit() or len(assignment) > 10:
        raise BadRequest("Upload-Metadata assignment_id must be a whole number")
    limits = await limits_for(request, who, int(assignment))
    upload = await services(request).offline.uploads.create(who.person_id, name, length, limits)
    headers = {**_headers(upload), "Location": f"/api/tus/{upload.id}", "Upload-Id": str(upload.id)}
    return Response(status_code=201, headers=headers)


async def head(request: Request) -> Response:
    who = await viewer(request)
    upload = await services(request).offline.uploads.resumable(who.person_id, path_id(request))
    headers = {**_headers(upload), "Upload-Length": str(upload.length)}
    return Response(status_code=200, headers=headers)


async def patch(request: Request) -> Response:
    who = await viewer(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != OFFSET_TYPE:
        raise UnsupportedMediaType(f"send the bytes as {OFFSET_TYPE}")
    offset = _number(request, "upload-offset")
    uploads = services(request).offline.uploads
    try:
        upload = await uploads.append(who.person_id, path_id(request), offset, request.stream())
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is listening; the bytes received are kept
    return Response(status_code=204, headers=_headers(upload))


async def terminate(request: Request) -> Response:
    who = await viewer(request)
    await services(request).offline.uploads.terminate(who.person_id, path_id(request))
    return Response(status_code=204)
