"""INSERT … that does nothing when the row exists, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Base


async def insert_ignore(db: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Inserts ``rows``, skipping those that clash with a unique key."""
    if not rows:
        return
    if db.get_bind().dialect.name == "sqlite":
        await db.execute(insert(model).prefix_with("OR IGNORE"), rows)
    else:
        await db.execute(pg_insert(model).on_conflict_do_nothing(), rows)
