"""The services one process runs, built once by the composition root and handed to handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth import AuthService
from server.bus import Bus
from server.catalog import CatalogService
from server.db.engine import make_engine, make_sessionmaker
from server.directory import DirectoryService
from server.passwords import PasswordService
from server.ratelimit import FailureLimiter
from server.schedule import ScheduleService
from server.settings import Settings
from server.tokens import RoomTokens


@dataclass
class Services:
    """Everything handlers call; one instance per application."""

    settings: Settings
    engine: AsyncEngine
    bus: Bus
    passwords: PasswordService
    auth: AuthService
    directory: DirectoryService
    catalog: CatalogService
    schedule: ScheduleService
    room_tokens: RoomTokens

    async def close(self) -> None:
        await self.bus.close()
        await self.engine.dispose()


def build_services(settings: Settings, bus: Bus) -> Services:
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    passwords = PasswordService(
        settings.password_hash_concurrency,
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
    )
    limiter = FailureLimiter(settings.login_max_failures, settings.login_window_seconds)
    return Services(
        settings=settings,
        engine=engine,
        bus=bus,
        passwords=passwords,
        auth=AuthService(sessions, passwords, limiter, timedelta(hours=settings.session_ttl_hours)),
        directory=DirectoryService(sessions, passwords),
        catalog=CatalogService(sessions),
        schedule=ScheduleService(sessions),
        room_tokens=RoomTokens(settings.secret_key, settings.room_token_ttl_seconds),
    )
