"""The room WebSocket, ``WS /rooms/{session_id}/signal`` (docs/protocol.md).

The first message must be ``join`` with a room token; after that every message is size-checked,
rate-limited, validated and applied to the live room. Errors caused by one message answer that
message (``{"type": "error"}``) and leave the connection open; errors of identity or protocol
close it with a code from ``server.errors``. Only the offender is ever affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.db.models import SessionKind
from server.errors import AppError, BadRequest, Conflict, TooLarge
from server.live import LiveRoom, RoomRetired
from server.ratelimit import TokenBucket
from server.rooms import Participant
from server.services import Services
from server.signal_dispatch import dispatch
from server.signal_messages import (
    KNOWN_TYPES,
    MAX_ANSWER_BYTES,
    MAX_MESSAGE_BYTES,
    MESSAGES,
    AnyMessage,
    JoinMessage,
)

log = logging.getLogger(__name__)

JOIN_TIMEOUT_SECONDS = 10
OUTBOX_LIMIT = 512
MESSAGES_PER_SECOND = 20
BURST = 40
MAX_REFUSALS = 200
CLOSE_PROTOCOL = 4400
CLOSE_SLOW = 4008


class WsConnection:
    """Sends through a bounded outbox so that one slow client never blocks the room."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(OUTBOX_LIMIT)
        self._writer = asyncio.create_task(self._write())
        self._closing = False

    def send(self, message: dict[str, Any]) -> None:
        if self._closing:
            return
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("signalling client too slow; closing")
            self._closing = True
            asyncio.get_running_loop().create_task(self.close(CLOSE_SLOW, "client too slow"))

    async def _write(self) -> None:
        while (message := await self._outbox.get()) is not None:
            with contextlib.suppress(Exception):
                await self._websocket.send_text(json.dumps(message, ensure_ascii=False))

    async def close(self, code: int, reason: str) -> None:
        self._closing = True
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._writer), 2)
        if self._websocket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await self._websocket.close(code, reason[:120])

    async def stop(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


async def signal(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    session_id = int(websocket.path_params["session_id"])
    await websocket.accept()
    connection = WsConnection(websocket)
    room: LiveRoom | None = None
    participant: Participant | None = None
    try:
        room, participant = await _join(websocket, services, session_id, connection)
        await _serve(websocket, room, participant, connection)
    except AppError as exc:
        await connection.close(exc.close_code, exc.message)
    except WebSocketDisconnect:
        pass
    finally:
        if room is not None and participant is not None:
            await room.disconnected(participant.participant_id, connection)
        await connection.stop()


async def _join(
    websocket: WebSocket, services: Services, session_id: int, connection: WsConnection
) -> tuple[LiveRoom, Participant]:
    try:
        async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
            first = await _receive(websocket)
    except TimeoutError:
        raise BadRequest("send join within 10 seconds") from None
    if not isinstance(first, JoinMessage):
        raise BadRequest("the first message must be join")
    claims = services.room_tokens.verify(first.token, session_id)
    services.recordings.learn_address(websocket.scope.get("server"))
    if claims.agent is not None and services.rooms.get(session_id) is None:
        raise Conflict("there is no live room to record")  # an agent never opens a room
    session = await services.schedule.find(session_id)
    if session.status in ("ended", "cancelled"):
        raise Conflict(f"the session is {session.status}")
    if claims.person_id == session.tutor_id:
        # The tutor entering the room starts the session, as the start button would.
        await services.schedule.mark_live(session_id)
    for _attempt in range(3):
        room = await services.rooms.open(session_id, SessionKind(session.kind), session.tutor_id)
        try:
            return room, await room.join(claims, connection, first.chat_since)
        except RoomRetired:
            continue
    raise Conflict("the room is restarting; join again")


async def _receive(websocket: WebSocket) -> AnyMessage:
    """The next valid message; raises for a closed socket, oversize or undecodable input."""
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(frame.get("code", 1000))
        text = frame.get("text")
        if text is None:
            raise BadRequest("binary frames are not part of the protocol")
        # Counting characters first spares encoding a frame that is far too large anyway.
        size = len(text) if len(text) > MAX_ANSWER_BYTES else len(text.encode())
        if size > MAX_ANSWER_BYTES:
            raise TooLarge(_TOO_LARGE)
        if size > MAX_MESSAGE_BYTES and not _is_answer(text):
            raise TooLarge(_TOO_LARGE)
        return parse(text)


_TOO_LARGE = (
    f"a message may be at most {MAX_MESSAGE_BYTES} bytes (a subscription_answer {MAX_ANSWER_BYTES})"
)


def _is_answer(text: str) -> bool:
    """Only a subscription answer may pass the general size limit."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("type") == "subscription_answer"


def parse(text: str) -> AnyMessage:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MessageError("bad_json", f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise MessageError("bad_message", "a message is a JSON object with a type")
    kind = data.get("type")
    if kind not in KNOWN_TYPES:
        raise MessageError("unknown_type", f"unknown message type {kind!r}", data.get("ref"))
    try:
        return MESSAGES.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        )
        raise MessageError("bad_message", f"invalid {kind}: {problems}", data.get("ref")) from None


class MessageError(AppError):
    """One message could not be understood; the connection stays open."""

    def __init__(self, code: str, message: str, ref: object = None) -> None:
        super().__init__(message)
        self.reply_code = code
        self.ref = ref if isinstance(ref, str) else None


async def _serve(
    websocket: WebSocket, room: LiveRoom, participant: Participant, connection: WsConnection
) -> None:
    bucket = TokenBucket(MESSAGES_PER_SECOND, BURST)
    refusals = 0
    while True:
        try:
            message: AnyMessage | None = await _receive(websocket)
            failure = None
        except MessageError as exc:
            message, failure = None, exc
        # Every frame counts against the rate, parseable or not.
        if not bucket.take():
            refusals += 1
            if refusals > MAX_REFUSALS:
                raise _Flooding("too many messages")
            ref = message.ref if message is not None else None
            connection.send(_error("rate_limited", "slow down: too many messages", ref))
            continue
        refusals = 0
        if message is None:
            assert failure is not None
            connection.send(_error(failure.reply_code, failure.message, failure.ref))
            continue
        if message.type == "leave":
            await room.leave(participant.participant_id)
            await connection.close(1000, "left")
            return
        await _apply(room, participant, connection, message)


class _Flooding(AppError):
    close_code = 4429


async def _apply(
    room: LiveRoom, participant: Participant, connection: WsConnection, message: AnyMessage
) -> None:
    try:
        reply = await dispatch(room, participant, message)
    except (AppError, MessageError) as exc:
        code = getattr(exc, "reply_code", None) or exc.code
        connection.send(_error(code, exc.message, message.ref))
        return
    if reply is not None:
        connection.send(reply if message.ref is None else {**reply, "ref": message.ref})


def _error(code: str, message: str, ref: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if ref is not None:
        body["ref"] = ref
    return body
