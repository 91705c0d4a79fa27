"""Building attendance situations: past and live sessions of the demo group, presence events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.db.engine import make_sessionmaker
from server.db.models import Course, ScheduledSession, SessionStatus
from server.services import Services
from tests.integration.server.lookup import group_id, person_id

GROUP = "ИС-21-1"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


async def add_session(
    services: Services,
    starts_at: datetime,
    status: SessionStatus = SessionStatus.ENDED,
    academic_hours: int = 2,
    title: str = "Лекция: нормализация",
) -> ScheduledSession:
    """A session of the demo group ИС-21-1 taught by tutor.akhmetova."""
    group = await group_id(services, GROUP)
    async with make_sessionmaker(services.engine)() as db:
        course = await db.scalar(select(Course).where(Course.code == "IS-201"))
        assert course is not None
        session = ScheduledSession(
            title=title,
            course_id=course.id,
            group_id=group,
            tutor_id=await person_id(services, "tutor.akhmetova"),
            branch_id=course.branch_id,
            kind="lecture",
            starts_at=starts_at,
            academic_hours=academic_hours,
            status=status.value,
            started_at=starts_at if status != SessionStatus.SCHEDULED else None,
            ended_at=starts_at + minutes(50 * academic_hours)
            if status == SessionStatus.ENDED
            else None,
        )
        db.add(session)
        await db.commit()
        return session


async def past_session(
    services: Services, days_ago: int = 2, title: str = "Лекция: нормализация"
) -> ScheduledSession:
    """An ended two-hour session, ``days_ago`` days ago."""
    start = (datetime.now(UTC) - timedelta(days=days_ago)).replace(second=0, microsecond=0)
    return await add_session(services, start, title=title)


async def events(
    services: Services, session: ScheduledSession, login: str, *moments: tuple[float, str]
) -> None:
    """Records (minutes after the session's start, kind) events for one person."""
    who = await person_id(services, login)
    for offset, kind in moments:
        await services.attendance.record(session.id, who, kind, session.starts_at + minutes(offset))


async def heartbeats(
    services: Services, session: ScheduledSession, login: str, first: float, last: float
) -> None:
    """A join at ``first`` minutes, heartbeats every 30 s up to ``last``, and no leave."""
    steps = int((last - first) * 2)
    moments = [(first, "join")] + [(first + (i + 1) / 2, "heartbeat") for i in range(steps)]
    await events(services, session, login, *moments)
