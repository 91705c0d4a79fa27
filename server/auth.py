"""Sign-in sessions: login with rate limiting, cookie sessions ended server-side, CSRF, guards."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import AuthSession, Person, Role, utcnow
from server.errors import Forbidden, NotAuthenticated, RateLimited
from server.passwords import PasswordService
from server.ratelimit import FailureLimiter

SESSION_COOKIE = "sabaq_session"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person behind a request, with what scoping needs."""

    person_id: int
    role: Role
    branch_id: int
    full_name: str
    timezone: str | None
    locale: str
    csrf_token: str
    auth_session_id: int

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden("your role may not do this")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    """Creates, resolves and ends sign-in sessions."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        passwords: PasswordService,
        limiter: FailureLimiter,
        session_ttl: timedelta,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._limiter = limiter
        self._ttl = session_ttl

    async def login(
        self, login: str, password: str, client: str, user_agent: str
    ) -> tuple[str, Viewer]:
        """Returns a new cookie token and the viewer; raises 401 or 429."""
        keys = (f"login:{login.lower()}", f"client:{client}")
        self._check_limits(keys)
        async with self._sessions() as db:
            person = await db.scalar(select(Person).where(Person.login == login.lower()))
            stored = person.password_hash if person is not None and person.active else None
            if person is None or not await self._passwords.verify(stored, password):
                for key in keys:
                    self._limiter.fail(key)
                raise NotAuthenticated("wrong login or password")
            self._limiter.reset(keys[0])
            return await self._open_session(db, person, user_agent)

    def _check_limits(self, keys: Iterable[str]) -> None:
        wait = max(self._limiter.retry_after(key) for key in keys)
        if wait:
            raise RateLimited(f"too many failed sign-ins; try again in {wait} s", wait)

    async def _open_session(
        self, db: AsyncSession, person: Person, user_agent: str
    ) -> tuple[str, Viewer]:
        token = secrets.token_urlsafe(32)
        record = AuthSession(
            token_hash=token_hash(token),
            csrf_token=secrets.token_urlsafe(32),
            person_id=person.id,
            expires_at=utcnow() + self._ttl,
            user_agent=user_agent[:300],
        )
        db.add(record)
        await db.commit()
        return token, _viewer(person, record)

    async def resolve(self, token: str | None) -> Viewer:
        """The viewer behind a cookie token; 401 when missing, unknown, expired or ended."""
        if not token or len(token) > 128:
            raise NotAuthenticated("sign in first")
        async with self._sessions() as db:
            row = (
                await db.execute(
                    select(AuthSession, Person)
                    .join(Person, Person.id == AuthSession.person_id)
                    .where(AuthSession.token_hash == token_hash(token))
                )
            ).first()
        if row is None:
            raise NotAuthenticated("your session is not valid; sign in again")
        record, person = row
        if record.revoked_at is not None or record.expires_at <= utcnow() or not person.active:
            raise NotAuthenticated("your session has ended; sign in again")
        return _viewer(person, record)

    async def logout(self, viewer: Viewer) -> None:
        async with self._sessions() as db:
            await db.execute(
                update(AuthSession)
                .where(AuthSession.id == viewer.auth_session_id)
                .values(revoked_at=utcnow())
            )
            await db.commit()

    @staticmethod
    def check_csrf(viewer: Viewer, header_value: str | None) -> None:
        if not header_value or not hmac.compare_digest(header_value, viewer.csrf_token):
            raise Forbidden("missing or wrong CSRF token (send the X-CSRF-Token header)")


def _viewer(person: Person, record: AuthSession) -> Viewer:
    return Viewer(
        person_id=person.id,
        role=Role(person.role),
        branch_id=person.branch_id,
        full_name=person.full_name,
        timezone=person.timezone,
        locale=person.locale,
        csrf_token=record.csrf_token,
        auth_session_id=record.id,
    )
