"""Chat history and export of a session, for the people who may see the session."""

from __future__ import annotations

import csv
import io
import json

from starlette.requests import Request
from starlette.responses import Response

from server.auth import Viewer
from server.db.models import Role
from server.errors import Forbidden, ValidationFailed
from server.scope import MANAGERS
from server.web import ok, path_id, query_int, services, viewer

EXPORT_COLUMNS = [
    "id",
    "sent_at",
    "kind",
    "sender_id",
    "sender_name",
    "recipient_id",
    "text",
    "deleted",
    "target_id",
    "students_may_chat",
]


def _sees_everything(who: Viewer) -> bool:
    return who.role in MANAGERS


async def history(request: Request) -> Response:
    """Entries after ``since`` (default 0) that this person may see, in order."""
    who = await viewer(request)
    found = services(request)
    session = await found.schedule.get(who, path_id(request))
    since = query_int(request, "since", 0, 0, 2**31)
    if _sees_everything(who):
        last = await found.chat.last_seq(session.id)
        if since > last:
            raise ValidationFailed(f"since must be between 0 and this room's last id ({last})")
        entries = await found.chat.after(session.id, since)
    else:
        entries = await found.chat.since(session.id, who.person_id, since)
    return ok({"session_id": session.id, "since": since, "messages": entries})


async def export(request: Request) -> Response:
    """The whole log as CSV (UTF-8 with BOM, for spreadsheets) or JSON; tutor and staff only."""
    who = await viewer(request)
    found = services(request)
    session = await found.schedule.get(who, path_id(request))
    if who.role not in MANAGERS and not (
        who.role == Role.TUTOR and session.tutor_id == who.person_id
    ):
        raise Forbidden("only the tutor and staff export a session's chat")
    kind = request.query_params.get("format", "csv")
    entries = await found.chat.everything(session.id)
    filename = f"chat-session-{session.id}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if kind == "json":
        body = json.dumps({"session_id": session.id, "messages": entries}, ensure_ascii=False)
        return Response(body, media_type="application/json", headers=disposition)
    if kind != "csv":
        raise ValidationFailed("format must be csv or json")
    return Response(_csv(entries), media_type="text/csv; charset=utf-8", headers=disposition)


def _csv(entries: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for entry in entries:
        cells = {
            **entry,
            "text": _inert(entry["text"]),
            "sender_name": _inert(entry["sender_name"]),
        }
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode()


def _inert(value: object) -> str:
    """A leading = + - @ would make a spreadsheet run the cell as a formula."""
    text = str(value or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
