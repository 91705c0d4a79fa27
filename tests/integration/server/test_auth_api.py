"""Sign-in, sessions, CSRF and malformed requests."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from server.auth import SESSION_COOKIE
from server.db.engine import make_sessionmaker
from server.db.models import AuthSession, Person, utcnow
from server.services import Services
from tests.conftest import DEMO_PASSWORD, ClientFactory
from tests.integration.server.lookup import count

pytestmark = pytest.mark.usefixtures("demo")


async def test_login_sets_a_hardened_cookie_and_returns_the_person(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.post(
        "/api/auth/login", json={"login": "Student1.1", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["person"]["login"] == "student1.1"
    assert response.json()["person"]["role"] == "student"
    assert "password_hash" not in response.json()["person"]
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert (await anonymous.get("/api/me")).json()["person"]["login"] == "student1.1"


@pytest.mark.parametrize(
    ("login", "password"), [("student1.1", "wrong-password"), ("nobody.here", DEMO_PASSWORD)]
)
async def test_wrong_password_and_unknown_user_get_the_same_401(
    anonymous: httpx.AsyncClient, login: str, password: str
) -> None:
    response = await anonymous.post("/api/auth/login", json={"login": login, "password": password})
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "not_authenticated",
        "message": "wrong login or password",
    }
    assert SESSION_COOKIE not in response.cookies


async def test_repeated_failures_are_rate_limited_even_with_the_right_password(
    anonymous: httpx.AsyncClient, services: Services
) -> None:
    limit = services.settings.login_max_failures
    for _ in range(limit):
        bad = {"login": "tutor.akhmetova", "password": "not-the-password"}
        assert (await anonymous.post("/api/auth/login", json=bad)).status_code == 401
    good = {"login": "tutor.akhmetova", "password": DEMO_PASSWORD}
    response = await anonymous.post("/api/auth/login", json=good)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"


async def test_logout_ends_the_session_on_the_server(
    client_for: ClientFactory,
) -> None:
    client = await client_for("student1.1")
    stolen = client.cookies[SESSION_COOKIE]
    assert (await client.post("/api/auth/logout")).status_code == 204
    replay = await client_for()
    replay.cookies.set(SESSION_COOKIE, stolen)
    response = await replay.get("/api/me")
    assert response.status_code == 401


@pytest.mark.parametrize("cookie", ["forged-token", "x" * 500, ""])
async def test_forged_cookie_is_refused(anonymous: httpx.AsyncClient, cookie: str) -> None:
    anonymous.cookies.set(SESSION_COOKIE, cookie)
    response = await anonymous.get("/api/schedule")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_expired_session_is_refused(client_for: ClientFactory, services: Services) -> None:
    client = await client_for("student1.1")
    async with make_sessionmaker(services.engine)() as db:
        await db.execute(update(AuthSession).values(expires_at=utcnow()))
        await db.commit()
    assert (await client.get("/api/me")).status_code == 401


async def test_deactivated_person_loses_access(
    client_for: ClientFactory, services: Services
) -> None:
    client = await client_for("student1.1")
    async with make_sessionmaker(services.engine)() as db:
        await db.execute(update(Person).where(Person.login == "student1.1").values(active=False))
        await db.commit()
    assert (await client.get("/api/me")).status_code == 401


async def test_state_change_without_csrf_token_is_refused_and_writes_nothing(
    client_for: ClientFactory,
) -> None:
    client = await client_for("student1.1")
    del client.headers["X-CSRF-Token"]
    response = await client.patch("/api/me", json={"timezone": "Europe/Moscow"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    client.headers["X-CSRF-Token"] = "wrong"
    assert (await client.patch("/api/me", json={"locale": "en"})).status_code == 403
    me = (await client.get("/api/me")).json()["person"]
    assert me["timezone"] is None and me["locale"] == "kk"


async def test_cross_site_login_is_refused(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(
        "/api/auth/login",
        json={"login": "student1.1", "password": DEMO_PASSWORD},
        headers={"Origin": "http://evil.example"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b'{"login": "student1.1", ', {"content-type": "application/json"}, 400, "bad_request"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, "bad_request"),
        (b'["login"]', {"content-type": "application/json"}, 422, "validation_failed"),
        (
            b"login=student1.1",
            {"content-type": "application/x-www-form-urlencoded"},
            400,
            "bad_request",
        ),
        (
            b'{"login": "student1.1", "password": "sabaq-demo", "admin": true}',
            {"content-type": "application/json"},
            422,
            "validation_failed",
        ),
        (
            b'{"login": "' + b"a" * 101 + b'", "password": "x"}',
            {"content-type": "application/json"},
            422,
            "validation_failed",
        ),
    ],
)
async def test_malformed_login_bodies_get_clear_errors(
    anonymous: httpx.AsyncClient, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = await anonymous.post("/api/auth/login", content=body, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_oversized_body_is_refused_with_413_and_nothing_written(
    client_for: ClientFactory, services: Services
) -> None:
    admin = await client_for("admin")
    before = await count(services, Person)
    huge = {"login": "big", "full_name": "x" * (services.settings.max_json_bytes + 1)}
    response = await admin.post("/api/people", json=huge)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert await count(services, Person) == before


async def test_unknown_route_and_method_get_json_errors(client_for: ClientFactory) -> None:
    client = await client_for("student1.1")
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await client.delete("/api/schedule")
    assert wrong.status_code == 405
