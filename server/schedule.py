"""Scheduled sessions: the timetable, its windows (join opens 10 minutes before), start and end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import (
    Course,
    CourseGroup,
    Person,
    Role,
    ScheduledSession,
    SessionKind,
    SessionMode,
    SessionStatus,
    StudyGroup,
    utcnow,
)
from server.db.queries import get_visible
from server.errors import Conflict, Forbidden, NotFound, ValidationFailed
from server.schemas import SessionIn, SessionUpdate
from server.scope import (
    MANAGERS,
    can_manage_branch,
    courses_filter,
    groups_filter,
    manages_session,
    sessions_filter,
)
from server.tokens import Grant, grants_for

JOIN_OPENS_BEFORE = timedelta(minutes=10)
JOIN_CLOSES_AFTER_END = timedelta(minutes=15)
CLOSED = (SessionStatus.ENDED.value, SessionStatus.CANCELLED.value)


def ends_at(session: ScheduledSession) -> datetime:
    return session.starts_at + timedelta(minutes=session.minutes)


def join_opens_at(session: ScheduledSession) -> datetime:
    return session.starts_at - JOIN_OPENS_BEFORE


def joinable(session: ScheduledSession, now: datetime) -> bool:
    if session.mode != SessionMode.ONLINE or session.status in CLOSED:
        return False
    if session.status == SessionStatus.LIVE:
        return True
    return join_opens_at(session) <= now <= ends_at(session) + JOIN_CLOSES_AFTER_END


@dataclass(frozen=True)
class JoinPass:
    """What a person needs to enter a session's room."""

    session: ScheduledSession
    grants: frozenset[Grant]


@dataclass(frozen=True)
class SessionLabels:
    """Names shown beside a session, readable by anyone who may see the session."""

    course_code: str
    discipline: str
    group_name: str
    tutor_name: str


class ScheduleService:
    """The timetable within a viewer's scope, and the live transitions of a session."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._now = now

    def now(self) -> datetime:
        return self._now()

    async def between(
        self, viewer: Viewer, start: datetime, end: datetime
    ) -> list[ScheduledSession]:
        query = (
            select(ScheduledSession)
            .where(sessions_filter(viewer))
            .where(ScheduledSession.starts_at >= start, ScheduledSession.starts_at < end)
            .order_by(ScheduledSession.starts_at, ScheduledSession.id)
        )
        async with self._sessions() as db:
            return list(await db.scalars(query))

    async def labels(self, session_ids: list[int]) -> dict[int, SessionLabels]:
        """Course, group and tutor names of these sessions, in one query."""
        if not session_ids:
            return {}
        query = (
            select(
                ScheduledSession.id,
                Course.code,
                Course.discipline,
                StudyGroup.name,
                Person.full_name,
            )
            .join(Course, Course.id == ScheduledSession.course_id)
            .join(StudyGroup, StudyGroup.id == ScheduledSession.group_id)
            .join(Person, Person.id == ScheduledSession.tutor_id)
            .where(ScheduledSession.id.in_(session_ids))
        )
        async with self._sessions() as db:
            rows = (await db.execute(query)).all()
        return {row[0]: SessionLabels(*row[1:]) for row in rows}

    async def get(self, viewer: Viewer, session_id: int) -> ScheduledSession:
        async with self._sessions() as db:
            return await _visible_session(db, viewer, session_id)

    async def create(self, viewer: Viewer, data: SessionIn) -> ScheduledSession:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            group = await get_visible(db, StudyGroup, data.group_id, groups_filter(viewer), "group")
            await get_visible(db, Course, data.course_id, courses_filter(viewer), "course")
            if not can_manage_branch(viewer, group.branch_id):
                raise Forbidden("staff schedule sessions for their own branch only")
            if await db.get(CourseGroup, (data.course_id, data.group_id)) is None:
                raise ValidationFailed(
                    f"group {group.id} is not enrolled in course {data.course_id}"
                )
            await _require_tutor(db, data.tutor_id)
            session = ScheduledSession(
                **data.model_dump(exclude={"kind", "mode"}),
                kind=data.kind.value,
                mode=data.mode.value,
                branch_id=group.branch_id,
            )
            db.add(session)
            await db.commit()
            return session

    async def update(
        self, viewer: Viewer, session_id: int, data: SessionUpdate
    ) -> ScheduledSession:
        viewer.require(*MANAGERS)
        changes = data.model_dump(exclude_unset=True)
        async with self._sessions() as db:
            session = await _visible_session(db, viewer, session_id)
            if session.status in CLOSED:
                raise Conflict(f"session {session_id} is {session.status} and cannot change")
            if "tutor_id" in changes:
                await _require_tutor(db, changes["tutor_id"])
            for name, value in changes.items():
                setattr(session, name, getattr(value, "value", value))
            await db.commit()
            return session

    async def start(self, viewer: Viewer, session_id: int) -> ScheduledSession:
        async with self._sessions() as db:
            session = await _visible_session(db, viewer, session_id)
            if session.tutor_id != viewer.person_id:
                raise Forbidden("only the session's tutor starts it")
            if session.status == SessionStatus.LIVE:
                return session
            self._check_startable(session)
            session.status = SessionStatus.LIVE.value
            session.started_at = self._now()
            await db.commit()
            return session

    def _check_startable(self, session: ScheduledSession) -> None:
        if session.status in CLOSED:
            raise Conflict(f"session is {session.status}")
        if session.mode != SessionMode.ONLINE:
            raise Conflict("an off-line session has no live room")
        if not join_opens_at(session) <= self._now() <= ends_at(session):
            raise Conflict("a session starts at most 10 minutes before its scheduled time")

    async def end(self, viewer: Viewer, session_id: int) -> ScheduledSession:
        async with self._sessions() as db:
            session = await _visible_session(db, viewer, session_id)
            if not manages_session(viewer, session):
                raise Forbidden("only the tutor or the branch's staff end a session")
            if session.status != SessionStatus.LIVE:
                raise Conflict(f"session is {session.status}, not live")
            session.status = SessionStatus.ENDED.value
            session.ended_at = self._now()
            await db.commit()
            return session

    async def find(self, session_id: int) -> ScheduledSession:
        """The session by id, for callers that already hold a verified room token."""
        async with self._sessions() as db:
            session = await db.get(ScheduledSession, session_id)
        if session is None:
            raise NotFound(f"session {session_id} not found")
        return session

    async def mark_live(self, session_id: int) -> None:
        """Records that a scheduled session went live (its tutor entered the room)."""
        async with self._sessions() as db:
            session = await db.get(ScheduledSession, session_id)
            if session is not None and session.status == SessionStatus.SCHEDULED:
                session.status = SessionStatus.LIVE.value
                session.started_at = self._now()
                await db.commit()

    async def mark_ended(self, session_id: int) -> None:
        """Records that a live session ended (the room's moderator ended it)."""
        async with self._sessions() as db:
            session = await db.get(ScheduledSession, session_id)
            if session is not None and session.status not in CLOSED:
                session.status = SessionStatus.ENDED.value
                session.ended_at = self._now()
                await db.commit()

    async def join(self, viewer: Viewer, session_id: int) -> JoinPass:
        """Checks the window and returns the grants for this person in this session's room."""
        session = await self.get(viewer, session_id)
        if not joinable(session, self._now()):
            raise Conflict("the room is not open: it opens 10 minutes before the start")
        is_tutor = session.tutor_id == viewer.person_id
        return JoinPass(session, grants_for(viewer.role, SessionKind(session.kind), is_tutor))


async def _visible_session(db: AsyncSession, viewer: Viewer, session_id: int) -> ScheduledSession:
    return await get_visible(db, ScheduledSession, session_id, sessions_filter(viewer), "session")


async def _require_tutor(db: AsyncSession, person_id: int) -> None:
    person = await db.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    if person.role != Role.TUTOR or not person.active:
        raise ValidationFailed(f"person {person_id} is not an active tutor")
