"""Inbox: send (idempotent), conversations, pages of messages, read receipts, unread counts,
search, catch-up by stream number, and the live event stream (Server-Sent Events)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from server.errors import ValidationFailed
from server.idempotency import HEADER, check_key
from server.inbox_stream import InboxStream
from server.offline_schemas import MessageIn, ReadIn
from server.web import ok, path_id, query_int, read_json, services, viewer

MAX_SEARCH = 200


async def send(request: Request) -> Response:
    """201 with the new message; 200 with the stored one for a replayed key; 409 if it differs."""
    who = await viewer(request)
    key = check_key(request.headers.get(HEADER))
    body = await read_json(request, MessageIn)
    message, created = await services(request).offline.inbox.send(who, body, key)
    return ok(message, 201 if created else 200)


async def conversations(request: Request) -> Response:
    who = await viewer(request)
    return ok({"conversations": await services(request).offline.inbox.conversations(who)})


async def messages(request: Request) -> Response:
    who = await viewer(request)
    before = query_int(request, "before", 0, 0, 2**31 - 1) or None
    limit = query_int(request, "limit", 50, 1, 500)
    inbox = services(request).offline.inbox
    return ok(await inbox.messages(who, path_id(request), before, limit))


async def mark_read(request: Request) -> Response:
    who = await viewer(request)
    body = await read_json(request, ReadIn)
    inbox = services(request).offline.inbox
    return ok(await inbox.mark_read(who, path_id(request), body.up_to))


async def unread(request: Request) -> Response:
    who = await viewer(request)
    return ok(await services(request).offline.inbox.unread(who))


async def search(request: Request) -> Response:
    who = await viewer(request)
    text = request.query_params.get("q", "").strip()
    if not 1 <= len(text) <= 200:
        raise ValidationFailed("q must be 1-200 characters")
    limit = query_int(request, "limit", 50, 1, MAX_SEARCH)
    found = await services(request).offline.inbox.search(who, text, limit)
    return ok({"q": text, "messages": found})


async def _cursor(request: Request, person_id: int) -> int:
    raw = request.headers.get("last-event-id")
    since = (
        int(raw)
        if raw is not None and raw.isdigit() and len(raw) < 10
        else query_int(request, "since", 0, 0, 2**31 - 1)
    )
    last = await services(request).offline.inbox.last_seq(person_id)
    if since > last:
        raise ValidationFailed(f"since must be between 0 and your last stream number ({last})")
    return since


async def since(request: Request) -> Response:
    """The viewer's stream after ``since``, at most ``limit`` events, for polling clients."""
    who = await viewer(request)
    after = await _cursor(request, who.person_id)
    limit = query_int(request, "limit", 500, 1, 500)
    inbox = services(request).offline.inbox
    events = await inbox.since(who.person_id, after, limit)
    return ok({"since": after, "events": events, "last_seq": await inbox.last_seq(who.person_id)})


async def events(request: Request) -> Response:
    """``text/event-stream`` of the viewer's stream from ``since`` (or ``Last-Event-ID``)."""
    who = await viewer(request)
    after = await _cursor(request, who.person_id)
    found = services(request)
    stream = InboxStream(
        found.offline.inbox,
        found.bus,
        who.person_id,
        after,
        found.settings.inbox_keepalive_seconds,
    )
    return StreamingResponse(
        stream.events(),
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
