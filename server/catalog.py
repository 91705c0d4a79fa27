"""Study groups, courses and enrolment (students in groups, groups in courses)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import (
    Course,
    CourseGroup,
    GroupMembership,
    Person,
    Role,
    ScheduledSession,
    StudyGroup,
)
from server.db.queries import commit_or_conflict, get_visible
from server.errors import Conflict, Forbidden, ValidationFailed
from server.schemas import CourseIn, CourseUpdate, GroupIn, GroupUpdate
from server.scope import MANAGERS, can_manage_branch, courses_filter, groups_filter, people_filter


class CatalogService:
    """Groups and courses within the viewer's scope; only managers change them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def groups(self, viewer: Viewer) -> list[StudyGroup]:
        async with self._sessions() as db:
            query = select(StudyGroup).where(groups_filter(viewer)).order_by(StudyGroup.name)
            return list(await db.scalars(query))

    async def group(self, viewer: Viewer, group_id: int) -> StudyGroup:
        async with self._sessions() as db:
            return await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")

    async def group_students(self, viewer: Viewer, group_id: int) -> list[Person]:
        async with self._sessions() as db:
            await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
            query = (
                select(Person)
                .join(GroupMembership, GroupMembership.student_id == Person.id)
                .where(GroupMembership.group_id == group_id, people_filter(viewer))
                .order_by(Person.full_name)
            )
            return list(await db.scalars(query))

    async def create_group(self, viewer: Viewer, data: GroupIn) -> StudyGroup:
        _require_manager_of(viewer, data.branch_id)
        async with self._sessions() as db:
            group = StudyGroup(**data.model_dump())
            db.add(group)
            await commit_or_conflict(db, f"group name {data.name!r} is taken or branch unknown")
            return group

    async def update_group(self, viewer: Viewer, group_id: int, data: GroupUpdate) -> StudyGroup:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            group = await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
            for name, value in data.model_dump(exclude_unset=True).items():
                setattr(group, name, value)
            await commit_or_conflict(db, "group name is taken")
            return group

    async def delete_group(self, viewer: Viewer, group_id: int) -> None:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            group = await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
            await _refuse_if_scheduled(db, ScheduledSession.group_id == group.id, "group")
            await db.delete(group)
            await db.commit()

    async def enrol_student(self, viewer: Viewer, group_id: int, student_id: int) -> None:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
            student = await get_visible(db, Person, student_id, people_filter(viewer), "person")
            if student.role != Role.STUDENT:
                raise ValidationFailed(f"person {student_id} is not a student")
            if await db.get(GroupMembership, (group_id, student_id)) is None:
                db.add(GroupMembership(group_id=group_id, student_id=student_id))
                await commit_or_conflict(db, "student is already enrolled")

    async def unenrol_student(self, viewer: Viewer, group_id: int, student_id: int) -> None:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
            await db.execute(
                delete(GroupMembership).where(
                    GroupMembership.group_id == group_id, GroupMembership.student_id == student_id
                )
            )
            await db.commit()

    async def courses(self, viewer: Viewer) -> list[Course]:
        async with self._sessions() as db:
            query = select(Course).where(courses_filter(viewer)).order_by(Course.code)
            return list(await db.scalars(query))

    async def course(self, viewer: Viewer, course_id: int) -> Course:
        async with self._sessions() as db:
            return await get_visible(db, Course, course_id, courses_filter(viewer), "course")

    async def course_groups(self, viewer: Viewer, course_id: int) -> list[StudyGroup]:
        async with self._sessions() as db:
            await get_visible(db, Course, course_id, courses_filter(viewer), "course")
            query = (
                select(StudyGroup)
                .join(CourseGroup, CourseGroup.group_id == StudyGroup.id)
                .where(CourseGroup.course_id == course_id, groups_filter(viewer))
                .order_by(StudyGroup.name)
            )
            return list(await db.scalars(query))

    async def create_course(self, viewer: Viewer, data: CourseIn) -> Course:
        _require_manager_of(viewer, data.branch_id)
        async with self._sessions() as db:
            course = Course(**data.model_dump())
            db.add(course)
            await commit_or_conflict(db, f"course code {data.code!r} is taken or branch unknown")
            return course

    async def update_course(self, viewer: Viewer, course_id: int, data: CourseUpdate) -> Course:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            course = await get_visible(db, Course, course_id, courses_filter(viewer), "course")
            for name, value in data.model_dump(exclude_unset=True).items():
                setattr(course, name, value)
            await db.commit()
            return course

    async def delete_course(self, viewer: Viewer, course_id: int) -> None:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            course = await get_visible(db, Course, course_id, courses_filter(viewer), "course")
            await _refuse_if_scheduled(db, ScheduledSession.course_id == course.id, "course")
            await db.delete(course)
            await db.commit()

    async def enrol_group(self, viewer: Viewer, course_id: int, group_id: int) -> None:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            await get_visible(db, Course, course_id, courses_filter(viewer), "course")
            await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
            if await db.get(CourseGroup, (course_id, group_id)) is None:
                db.add(CourseGroup(course_id=course_id, group_id=group_id))
                await commit_or_conflict(db, "group is already enrolled")

    async def unenrol_group(self, viewer: Viewer, course_id: int, group_id: int) -> None:
        viewer.require(*MANAGERS)
        async with self._sessions() as db:
            await get_visible(db, Course, course_id, courses_filter(viewer), "course")
            await db.execute(
                delete(CourseGroup).where(
                    CourseGroup.course_id == course_id, CourseGroup.group_id == group_id
                )
            )
            await db.commit()


def _require_manager_of(viewer: Viewer, branch_id: int) -> None:
    viewer.require(*MANAGERS)
    if not can_manage_branch(viewer, branch_id):
        raise Forbidden("staff manage their own branch only")


async def _refuse_if_scheduled(db: AsyncSession, condition: object, label: str) -> None:
    count = await db.scalar(select(func.count()).select_from(ScheduledSession).where(condition))  # type: ignore[arg-type]
    if count:
        raise Conflict(f"the {label} has {count} scheduled sessions; cancel them first")
