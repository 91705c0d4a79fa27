"""Room tokens: short-lived signed JWTs carrying what a person may do in one session's room."""

from __future__ import annotations

import enum
import secrets
import time
from dataclasses import dataclass

import jwt

from server.db.models import Role, SessionKind
from server.errors import NotAuthenticated

ROOM_AUDIENCE = "sabaq-room"
ALGORITHM = "HS256"
ISSUER = "sabaq"


class Grant(enum.StrEnum):
    PUBLISH = "publish"
    SUBSCRIBE = "subscribe"
    CHAT = "chat"
    MODERATE = "moderate"
    RECORD = "record"
    PROCTOR = "proctor"


EXAM_KINDS = frozenset({SessionKind.MIDTERM, SessionKind.EXAM})
# Server-side clients (the recorder) carry an ``agent`` claim and person id 0, which no person
# has; they may only subscribe.
RECORDER_AGENT = "recorder"
AGENT_PERSON_ID = 0
AGENT_GRANTS = frozenset({Grant.SUBSCRIBE})
EVERYONE_PUBLISHES = frozenset({SessionKind.CONSULTATION, SessionKind.PRACTICAL})


@dataclass(frozen=True)
class RoomClaims:
    """What a verified room token says."""

    person_id: int
    session_id: int
    role: Role
    name: str
    grants: frozenset[Grant]
    expires_at: int
    token_id: str
    agent: str | None = None


def grants_for(role: Role, kind: SessionKind, is_session_tutor: bool) -> frozenset[Grant]:
    """Grants by role and session kind. Floor control may lend a student more, live."""
    if is_session_tutor:
        return frozenset(Grant) - {Grant.PROCTOR}
    if role == Role.PROCTOR:
        return frozenset({Grant.SUBSCRIBE, Grant.CHAT, Grant.MODERATE, Grant.RECORD, Grant.PROCTOR})
    if role in (Role.STAFF, Role.ADMIN):
        return frozenset({Grant.SUBSCRIBE, Grant.CHAT})
    if role == Role.STUDENT:
        return _student_grants(kind)
    return frozenset({Grant.SUBSCRIBE, Grant.CHAT})


def _student_grants(kind: SessionKind) -> frozenset[Grant]:
    if kind in EXAM_KINDS:
        # Exam students publish camera, microphone and screen to proctors; they see nobody.
        return frozenset({Grant.PUBLISH, Grant.CHAT})
    if kind in EVERYONE_PUBLISHES:
        return frozenset({Grant.PUBLISH, Grant.SUBSCRIBE, Grant.CHAT})
    return frozenset({Grant.SUBSCRIBE, Grant.CHAT})


class RoomTokens:
    """Issues and verifies room tokens with one secret key and an algorithm allow-list."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._key = secret_key
        self._ttl = ttl_seconds

    def issue(self, claims: RoomClaims | None = None, **fields: object) -> tuple[str, int]:
        """Returns the token and its expiry (seconds since the epoch)."""
        now = int(time.time())
        expires = now + self._ttl
        body = {
            "iss": ISSUER,
            "aud": ROOM_AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": expires,
            "jti": secrets.token_urlsafe(12),
            **fields,
        }
        return jwt.encode(body, self._key, algorithm=ALGORITHM), expires

    def issue_for(
        self, person_id: int, session_id: int, role: Role, name: str, grants: frozenset[Grant]
    ) -> tuple[str, int]:
        return self.issue(
            sub=str(person_id),
            sid=session_id,
            role=role.value,
            name=name,
            grants=sorted(grant.value for grant in grants),
        )

    def issue_for_recorder(self, session_id: int) -> tuple[str, int]:
        """A token for the recorder process: subscribe only, never a person's identity."""
        return self.issue(
            sub=str(AGENT_PERSON_ID),
            sid=session_id,
            role=Role.STAFF.value,
            name="Recorder",
            grants=[Grant.SUBSCRIBE.value],
            agent=RECORDER_AGENT,
        )

    def verify(self, token: str, session_id: int) -> RoomClaims:
        """Checks signature, algorithm, audience, issuer, expiry and that it names this room."""
        try:
            body = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=ROOM_AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "aud", "iss", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("room token has expired") from None
        except jwt.PyJWTError as exc:
            raise NotAuthenticated(f"room token is not valid: {exc}") from None
        return self._claims(body, session_id)

    def _claims(self, body: dict[str, object], session_id: int) -> RoomClaims:
        if body.get("sid") != session_id:
            raise NotAuthenticated("room token is for another session")
        try:
            grants = frozenset(Grant(str(g)) for g in body["grants"])  # type: ignore[attr-defined]
            agent = body.get("agent")
            if agent is not None and (agent != RECORDER_AGENT or not grants <= AGENT_GRANTS):
                raise ValueError("unknown agent or grants beyond subscribe")
            return RoomClaims(
                person_id=int(str(body["sub"])),
                session_id=session_id,
                role=Role(str(body["role"])),
                name=str(body["name"]),
                grants=grants,
                expires_at=int(str(body["exp"])),
                token_id=str(body["jti"]),
                agent=None if agent is None else str(agent),
            )
        except (KeyError, ValueError, TypeError):
            raise NotAuthenticated("room token is missing claims") from None
