from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from server.db.models import Role, SessionKind
from server.errors import NotAuthenticated
from server.tokens import ROOM_AUDIENCE, Grant, RoomTokens, grants_for

KEY = "k" * 40


def issue(tokens: RoomTokens, session_id: int = 7) -> str:
    token, _ = tokens.issue_for(3, session_id, Role.STUDENT, "Алия", frozenset({Grant.SUBSCRIBE}))
    return token


def test_round_trip_carries_identity_and_grants() -> None:
    tokens = RoomTokens(KEY, 60)
    claims = tokens.verify(issue(tokens), 7)
    assert (claims.person_id, claims.session_id, claims.role) == (3, 7, Role.STUDENT)
    assert claims.grants == {Grant.SUBSCRIBE}
    assert claims.expires_at - time.time() <= 60


def _unsigned(body: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."


def test_alg_none_is_refused() -> None:
    tokens = RoomTokens(KEY, 60)
    body = jwt.decode(issue(tokens), options={"verify_signature": False})
    with pytest.raises(NotAuthenticated, match="not valid"):
        tokens.verify(_unsigned(body), 7)


def test_wrong_key_wrong_audience_and_other_session_are_refused() -> None:
    tokens = RoomTokens(KEY, 60)
    with pytest.raises(NotAuthenticated, match="not valid"):
        tokens.verify(issue(RoomTokens("z" * 40, 60)), 7)
    body = jwt.decode(issue(tokens), options={"verify_signature": False})
    other_audience = jwt.encode({**body, "aud": "another-app"}, KEY, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match="not valid"):
        tokens.verify(other_audience, 7)
    with pytest.raises(NotAuthenticated, match="another session"):
        tokens.verify(issue(tokens, session_id=8), 7)
    with pytest.raises(NotAuthenticated, match="not valid"):
        tokens.verify("not.a.token", 7)


def test_expired_token_is_refused() -> None:
    tokens = RoomTokens(KEY, 60)
    body = jwt.decode(issue(tokens), KEY, algorithms=["HS256"], audience=ROOM_AUDIENCE)
    stale = jwt.encode({**body, "exp": int(time.time()) - 5}, KEY, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify(stale, 7)


def test_token_without_grants_is_refused() -> None:
    tokens = RoomTokens(KEY, 60)
    token, _ = tokens.issue(sub="3", sid=7, role="student", name="x")
    with pytest.raises(NotAuthenticated, match="missing claims"):
        tokens.verify(token, 7)


@pytest.mark.parametrize(
    ("role", "kind", "tutor", "expected"),
    [
        (
            Role.TUTOR,
            SessionKind.LECTURE,
            True,
            {"publish", "subscribe", "chat", "moderate", "record"},
        ),
        (Role.STUDENT, SessionKind.LECTURE, False, {"subscribe", "chat"}),
        (Role.STUDENT, SessionKind.COLLOQUIUM, False, {"subscribe", "chat"}),
        (Role.STUDENT, SessionKind.CONSULTATION, False, {"publish", "subscribe", "chat"}),
        (Role.STUDENT, SessionKind.EXAM, False, {"publish", "chat"}),
        (Role.STUDENT, SessionKind.MIDTERM, False, {"publish", "chat"}),
        (
            Role.PROCTOR,
            SessionKind.EXAM,
            False,
            {"subscribe", "chat", "moderate", "record", "proctor"},
        ),
        (Role.STAFF, SessionKind.LECTURE, False, {"subscribe", "chat"}),
    ],
)
def test_grants_follow_role_and_session_kind(
    role: Role, kind: SessionKind, tutor: bool, expected: set[str]
) -> None:
    assert {g.value for g in grants_for(role, kind, tutor)} == expected
