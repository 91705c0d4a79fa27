"""Fixtures shared by every test: databases on SQLite and PostgreSQL, an app, signed-in clients."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from server.app import create_app
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade
from server.db.models import Base
from server.seed import seed_demo
from server.services import Services
from server.settings import Settings, load_settings
from tests.support import require

POSTGRES_ADMIN = os.environ.get(
    "TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DEMO_PASSWORD = "sabaq-demo"
T = TypeVar("T")
TEST_SECRET = "test-secret-key-" + "x" * 32


async def _postgres_reachable() -> bool:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def _admin_execute(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for every test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def in_thread(work: Callable[[], T]) -> T:
    """Run blocking set-up (which may start its own event loop) outside the test's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own, migrated once, dropped at the end."""
    reachable = in_thread(lambda: asyncio.run(_postgres_reachable()))
    require(reachable, "PostgreSQL on 127.0.0.1:5432")
    name = f"sabaq_test_{uuid.uuid4().hex[:10]}"
    in_thread(lambda: asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"')))
    url = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{url}/{name}"
    in_thread(lambda: upgrade(url))
    yield url
    in_thread(lambda: asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


async def _truncate(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "sabaq.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    await _truncate(url)
    yield url


@pytest.fixture
def extra_env() -> dict[str, str]:
    """Settings a test module adds or overrides (override this fixture)."""
    return {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, extra_env: dict[str, str]) -> Settings:
    return load_settings(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET,
            "SABAQ_ENV": "test",
            "PASSWORD_HASH_TIME_COST": "1",
            "PASSWORD_HASH_MEMORY_KIB": "8192",
            **extra_env,
        }
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def services(app: Starlette) -> Services:
    found: Services = app.state.services
    return found


@pytest.fixture
async def demo(services: Services) -> None:
    """The demo data of ``./scripts/run``: branches, every role, groups, a week of sessions."""
    sessions = make_sessionmaker(services.engine)
    await seed_demo(sessions, services.passwords, DEMO_PASSWORD)


ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_for(app: Starlette) -> AsyncIterator[ClientFactory]:
    """``await client_for("student1.1")``: an HTTP client signed in as that person."""
    clients: list[httpx.AsyncClient] = []

    async def make(login: str | None = None, password: str = DEMO_PASSWORD) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        if login is not None:
            response = await client.post(
                "/api/auth/login", json={"login": login, "password": password}
            )
            assert response.status_code == 200, response.text
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def anonymous(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for()
