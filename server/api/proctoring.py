"""Proctoring API (docs/proctoring.md): the exam's rules, a student's check-in, the proctor's queue
and actions, flags and camera frames, the review, the verdict and the log of review views. Photos
and frames are raw bodies (``image/jpeg`` or ``image/png``), read under a hard cap, as uploads
are."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from server.errors import NotFound, TooLarge
from server.proctoring import FRAME_MAX_BYTES, PHOTO_MAX_BYTES, ProctoringService
from server.proctoring_exam_rules import ExamRulesIn
from server.proctoring_rules import (
    Decision,
    FlagIn,
    IncidentIn,
    MediaChecks,
    PhotoKind,
    Rejection,
)
from server.proctoring_verdicts import VerdictIn, VerdictService
from server.settings import Settings
from server.web import ok, path_id, read_json, services, viewer

BASE = "/api/sessions/{id:int}/proctoring"
STUDENT = BASE + "/students/{student_id:int}"


def proctoring_routes() -> list[BaseRoute]:
    return [
        Route("/api/proctoring/queue", queue, methods=["GET"]),
        Route(BASE, rules, methods=["GET"]),
        Route(BASE, change_rules, methods=["PATCH"]),
        Route(BASE + "/students", roster, methods=["GET"]),
        Route(BASE + "/me", mine, methods=["GET"]),
        Route(BASE + "/me/begin", begin, methods=["POST"]),
        Route(BASE + "/me/photos/{kind:str}", put_photo, methods=["PUT"]),
        Route(BASE + "/me/photos/{kind:str}", own_photo, methods=["GET"]),
        Route(BASE + "/me/submit", submit, methods=["POST"]),
        Route(BASE + "/me/start", start, methods=["POST"]),
        Route(BASE + "/me/hand-in", hand_in, methods=["POST"]),
        Route(BASE + "/me/flags", flag, methods=["POST"]),
        Route(BASE + "/me/frames", frame, methods=["POST"]),
        Route(STUDENT + "/photos/{kind:str}", student_photo, methods=["GET"]),
        Route(STUDENT + "/review", review, methods=["GET"]),
        Route(STUDENT + "/review/views", review_views, methods=["GET"]),
        Route(STUDENT + "/verdict", put_verdict, methods=["PUT"]),
        Route(STUDENT + "/incidents", incident, methods=["POST"]),
        Route(STUDENT + "/{action:str}", act, methods=["POST"]),
    ]


def _service(request: Request) -> ProctoringService:
    found: ProctoringService = services(request).proctoring
    return found


def _kind(request: Request) -> PhotoKind:
    try:
        return PhotoKind(request.path_params["kind"])
    except ValueError:
        raise NotFound("photos are face or document") from None


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the image is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the image is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _image(path_: object) -> Response:
    path = str(path_)
    media = "image/png" if path.endswith(".png") else "image/jpeg"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, no-store"})


async def queue(request: Request) -> Response:
    who = await viewer(request)
    return ok({"students": await _service(request).queue(who)})


async def rules(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _service(request).rules.get(who, path_id(request)))


async def change_rules(request: Request) -> Response:
    """The exam's tutor or staff allow or forbid speech: ``{"speech_allowed": bool}``."""
    who = await viewer(request)
    body = await read_json(request, ExamRulesIn)
    return ok(await _service(request).rules.change(who, path_id(request), body))


async def roster(request: Request) -> Response:
    who = await viewer(request)
    service = _service(request)
    students = await service.roster(who, path_id(request))
    allowed = await service.rules.speech_allowed(path_id(request))
    return ok({"students": students, "speech_allowed": allowed})


async def mine(request: Request) -> Response:
    """The student's check-in, with what the privacy notice states: the retention periods and
    whether the server listens for speech in this exam."""
    who = await viewer(request)
    service = _service(request)
    found = await service.mine(who, path_id(request))
    allowed = await service.rules.speech_allowed(path_id(request))
    notice = privacy(services(request).settings, allowed)
    return ok(found | {"speech_allowed": allowed, "privacy": notice})


def privacy(settings: Settings, speech_allowed: bool) -> dict[str, int | bool | None]:
    """Days the exam's proctoring data and its recordings are kept (None: no automatic purge),
    and whether the server's speech check listens to this exam (on, and speech not allowed)."""
    return {
        "proctoring_retention_days": settings.proctoring_retention_days or None,
        "recording_retention_days": settings.recording_retention_days or None,
        "speech_monitored": settings.proctoring_speech_seconds > 0 and not speech_allowed,
    }


async def begin(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _service(request).begin(who, path_id(request)))


async def put_photo(request: Request) -> Response:
    who = await viewer(request)
    kind = _kind(request)
    data = await _body(request, PHOTO_MAX_BYTES)
    content_type = request.headers.get("content-type", "")
    return ok(await _service(request).save_photo(who, path_id(request), kind, content_type, data))


async def own_photo(request: Request) -> Response:
    who = await viewer(request)
    return _image(await _service(request).photo(who, path_id(request), None, _kind(request)))


async def student_photo(request: Request) -> Response:
    who = await viewer(request)
    student = path_id(request, "student_id")
    return _image(await _service(request).photo(who, path_id(request), student, _kind(request)))


async def submit(request: Request) -> Response:
    who = await viewer(request)
    checks = await read_json(request, MediaChecks)
    return ok(await _service(request).submit(who, path_id(request), checks))


async def start(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _service(request).start(who, path_id(request)))


async def hand_in(request: Request) -> Response:
    who = await viewer(request)
    return ok(await _service(request).hand_in(who, path_id(request)))


async def flag(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, FlagIn)
    return ok(await _service(request).flag(who, path_id(request), body), 201)


async def frame(request: Request) -> Response:
    who = await viewer(request)
    data = await _body(request, FRAME_MAX_BYTES)
    return ok(await _service(request).frame(who, path_id(request), data))


async def review(request: Request) -> Response:
    who = await viewer(request)
    student = path_id(request, "student_id")
    root = services(request).settings.recordings_dir
    return ok(await _service(request).review(who, path_id(request), student, root))


def _verdicts(request: Request) -> VerdictService:
    return services(request).proctoring_verdicts


async def put_verdict(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, VerdictIn)
    student = path_id(request, "student_id")
    return ok(await _verdicts(request).decide(who, path_id(request), student, body))


async def review_views(request: Request) -> Response:
    who = await viewer(request)
    student = path_id(request, "student_id")
    return ok(await _verdicts(request).views(who, path_id(request), student))


async def incident(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, IncidentIn)
    student = path_id(request, "student_id")
    return ok(await _service(request).incident(who, path_id(request), student, body), 201)


async def act(request: Request) -> Response:
    """approve, reject (reason required), pause, resume, end (reason optional)."""
    action = request.path_params["action"]
    if action not in ("approve", "reject", "pause", "resume", "end"):
        raise NotFound(f"no action {action!r}")
    who = await viewer(request)
    body: Decision | Rejection = Decision()
    if _has_body(request):
        body = await read_json(request, Rejection if action == "reject" else Decision)
    student = path_id(request, "student_id")
    service = _service(request)
    return ok(await service.act(who, path_id(request), student, action, body.reason))


def _has_body(request: Request) -> bool:
    return request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
