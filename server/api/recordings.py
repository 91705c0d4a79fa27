"""Recording control (start/stop), lists per session and course, playback and download.

Playback answers HTTP Range requests (Starlette's FileResponse does: 206 with Content-Range),
so the browser can seek without fetching the whole file.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from server.scope import MANAGERS
from server.web import ok, path_id, services, viewer


async def start(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    recording = await found.recordings.start(who, path_id(request))
    return ok(await found.recording_access.one(who, recording.id), 201)


async def stop(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    recording = await found.recordings.stop(who, path_id(request))
    return ok(await found.recording_access.one(who, recording.id))


async def for_session(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    session_id = path_id(request)
    items = await found.recording_access.for_session(who, session_id)
    recording_now = found.recordings.recording_now(session_id)
    return ok({"session_id": session_id, "recording_now": recording_now, "recordings": items})


async def for_course(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    items = await found.recording_access.for_course(who, path_id(request))
    return ok({"course_id": path_id(request), "recordings": items})


async def one(request: Request) -> Response:
    who = await viewer(request)
    return ok(await services(request).recording_access.one(who, path_id(request)))


async def timeline(request: Request) -> Response:
    who = await viewer(request)
    return ok(await services(request).recording_access.timeline(who, path_id(request)))


async def retry(request: Request) -> Response:
    who = await viewer(request)
    found = services(request)
    await found.recording_access.one(who, path_id(request))  # 404 outside the viewer's scope
    recording = await found.recordings.find(path_id(request))
    if who.role not in MANAGERS:
        # Staff in scope retry processing too: it is operations, not control of a live room.
        await found.recordings.check_may_control(who, recording.session_id)
    await found.recordings.retry(recording.id)
    return ok(await found.recording_access.one(who, recording.id))


async def play(request: Request) -> Response:
    return await _file(request, download=False)


async def download(request: Request) -> Response:
    return await _file(request, download=True)


async def _file(request: Request, download: bool) -> Response:
    who = await viewer(request)
    found = services(request)
    item = await found.recording_access.file(
        who, path_id(request), path_id(request, "file_id"), download
    )
    media_type = "video/mp4" if item.name.endswith(".mp4") else "video/webm"
    return FileResponse(
        item.path,
        media_type=media_type,
        filename=item.name if download else None,
        content_disposition_type="attachment" if download else "inline",
        headers={"Cache-Control": "private, max-age=3600"},
    )


def recording_routes() -> list[BaseRoute]:
    return [
        Route("/api/sessions/{id:int}/recording/start", start, methods=["POST"]),
        Route("/api/sessions/{id:int}/recording/stop", stop, methods=["POST"]),
        Route("/api/sessions/{id:int}/recordings", for_session, methods=["GET"]),
        Route("/api/courses/{id:int}/recordings", for_course, methods=["GET"]),
        Route("/api/recordings/{id:int}", one, methods=["GET"]),
        Route("/api/recordings/{id:int}/timeline", timeline, methods=["GET"]),
        Route("/api/recordings/{id:int}/retry", retry, methods=["POST"]),
        Route("/api/recordings/{id:int}/files/{file_id:int}", play, methods=["GET", "HEAD"]),
        Route(
            "/api/recordings/{id:int}/files/{file_id:int}/download",
            download,
            methods=["GET", "HEAD"],
        ),
    ]
