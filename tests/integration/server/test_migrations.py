"""Migrations run forwards and backwards on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from server.db.engine import make_engine
from server.db.migrate import downgrade, upgrade
from server.db.models import Base
from tests.conftest import in_thread


async def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_migrations_create_every_model_table_and_roll_back(database_url: str) -> None:
    expected = {table.name for table in Base.metadata.sorted_tables}
    assert await table_names(database_url) == expected
    in_thread(lambda: downgrade(database_url, "base"))
    assert await table_names(database_url) == set()
    in_thread(lambda: upgrade(database_url))
    assert await table_names(database_url) == expected
