"""Who may write to whom, and which conversation a new message belongs to.

- a student and a tutor who teaches one of the student's groups, either way;
- a tutor (or staff, or an admin) and a whole group the tutor teaches (staff: of their branch);
- staff and anyone at their branch, either way; an admin and anyone.

A direct conversation is one per pair of people and course; a group conversation one per group,
course and starter. Anyone the viewer may not write to is "not found" (404), like every object
outside a viewer's scope; a student starting a group conversation is refused (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Viewer
from server.db.models import (
    Conversation,
    ConversationKind,
    ConversationMember,
    Course,
    CourseGroup,
    GroupMembership,
    Person,
    Role,
    ScheduledSession,
    StudyGroup,
)
from server.db.queries import get_visible
from server.errors import NotFound, ValidationFailed
from server.offline_schemas import MessageIn
from server.scope import courses_filter, groups_filter


@dataclass(frozen=True)
class Target:
    """The conversation a message goes to: an existing one (``conversation_id``) or a new one."""

    key: str
    kind: ConversationKind
    members: tuple[int, ...]
    course_id: int | None = None
    group_id: int | None = None
    conversation_id: int | None = None


async def resolve(db: AsyncSession, viewer: Viewer, body: MessageIn) -> Target:
    if body.conversation_id is not None:
        return await _existing(db, viewer, body.conversation_id)
    if body.to_person_id is not None:
        return await _direct(db, viewer, body.to_person_id, body.course_id)
    assert body.to_group_id is not None
    return await _group(db, viewer, body.to_group_id, body.course_id)


async def _existing(db: AsyncSession, viewer: Viewer, conversation_id: int) -> Target:
    conversation = await member_conversation(db, viewer, conversation_id)
    members = await db.scalars(
        select(ConversationMember.person_id).where(
            ConversationMember.conversation_id == conversation_id
        )
    )
    return Target(
        key=conversation.key,
        kind=ConversationKind(conversation.kind),
        members=tuple(members),
        conversation_id=conversation.id,
    )


async def member_conversation(
    db: AsyncSession, viewer: Viewer, conversation_id: int
) -> Conversation:
    """The conversation if the viewer is in it; 404 otherwise."""
    found = await db.scalar(
        select(Conversation)
        .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
        .where(Conversation.id == conversation_id, ConversationMember.person_id == viewer.person_id)
    )
    if found is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return found


async def _direct(
    db: AsyncSession, viewer: Viewer, person_id: int, course_id: int | None
) -> Target:
    if person_id == viewer.person_id:
        raise ValidationFailed("you cannot write to yourself")
    other = await db.get(Person, person_id)
    if other is None or not other.active or not await may_write(db, viewer, other):
        raise NotFound(f"person {person_id} not found")
    if course_id is not None:
        await get_visible(db, Course, course_id, courses_filter(viewer), "course")
    low, high = sorted((viewer.person_id, person_id))
    return Target(
        key=f"direct:{low}:{high}:{course_id or 0}",
        kind=ConversationKind.DIRECT,
        members=(low, high),
        course_id=course_id,
    )


async def may_write(db: AsyncSession, viewer: Viewer, other: Person) -> bool:
    """Whether the viewer may start a direct conversation with ``other``."""
    if viewer.role == Role.ADMIN:
        return True
    same_branch = other.branch_id == viewer.branch_id
    if same_branch and Role.STAFF in (viewer.role, other.role):
        return True
    if viewer.role == Role.TUTOR and other.role == Role.STUDENT:
        return await _teaches(db, viewer.person_id, other.id)
    if viewer.role == Role.STUDENT and other.role == Role.TUTOR:
        return await _teaches(db, other.id, viewer.person_id)
    return False


async def _teaches(db: AsyncSession, tutor_id: int, student_id: int) -> bool:
    query = select(
        exists().where(
            ScheduledSession.tutor_id == tutor_id,
            ScheduledSession.group_id == GroupMembership.group_id,
            GroupMembership.student_id == student_id,
        )
    )
    return bool(await db.scalar(query))


async def _group(db: AsyncSession, viewer: Viewer, group_id: int, course_id: int | None) -> Target:
    viewer.require(Role.TUTOR, Role.STAFF, Role.ADMIN)
    await get_visible(db, StudyGroup, group_id, groups_filter(viewer), "group")
    if course_id is not None:
        await get_visible(db, Course, course_id, courses_filter(viewer), "course")
        if await db.get(CourseGroup, (course_id, group_id)) is None:
            raise ValidationFailed(f"group {group_id} does not take course {course_id}")
    students = await db.scalars(
        select(GroupMembership.student_id).where(GroupMembership.group_id == group_id)
    )
    return Target(
        key=f"group:{group_id}:{course_id or 0}:{viewer.person_id}",
        kind=ConversationKind.GROUP,
        members=tuple(sorted({viewer.person_id, *students})),
        course_id=course_id,
        group_id=group_id,
    )
