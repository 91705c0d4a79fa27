"""Reading demo objects straight from the database, to name them in requests."""

from __future__ import annotations

from sqlalchemy import func, select

from server.db.engine import make_sessionmaker
from server.db.models import Base, Branch, Person, ScheduledSession, StudyGroup
from server.services import Services


async def person_id(services: Services, login: str) -> int:
    async with make_sessionmaker(services.engine)() as db:
        found = await db.scalar(select(Person.id).where(Person.login == login))
    assert found is not None, login
    return found


async def branch_id(services: Services, code: str) -> int:
    async with make_sessionmaker(services.engine)() as db:
        found = await db.scalar(select(Branch.id).where(Branch.code == code))
    assert found is not None, code
    return found


async def group_id(services: Services, name: str) -> int:
    async with make_sessionmaker(services.engine)() as db:
        found = await db.scalar(select(StudyGroup.id).where(StudyGroup.name == name))
    assert found is not None, name
    return found


async def sessions_of_group(services: Services, group: int) -> list[ScheduledSession]:
    async with make_sessionmaker(services.engine)() as db:
        query = select(ScheduledSession).where(ScheduledSession.group_id == group)
        return list(await db.scalars(query.order_by(ScheduledSession.starts_at)))


async def count(services: Services, model: type[Base]) -> int:
    async with make_sessionmaker(services.engine)() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)
