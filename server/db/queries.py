"""Small query helpers shared by the services."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Base
from server.errors import Conflict, NotFound

ModelT = TypeVar("ModelT", bound=Base)


async def get_visible(
    db: AsyncSession,
    model: type[ModelT],
    object_id: int,
    visible: ColumnElement[bool],
    label: str,
) -> ModelT:
    """The object with this id if the viewer's scope includes it; otherwise 404 either way."""
    key = inspect(model).primary_key[0]
    found: ModelT | None = await db.scalar(select(model).where(key == object_id, visible))
    if found is None:
        raise NotFound(f"{label} {object_id} not found")
    return found


async def commit_or_conflict(db: AsyncSession, message: str) -> None:
    """Commit; a unique or foreign-key violation becomes 409 and nothing is written."""
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        raise Conflict(message) from None
