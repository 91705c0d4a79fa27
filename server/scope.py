"""Who sees what. Every query for people, groups, courses and sessions goes through these filters,
so an object outside a viewer's scope is simply not found (404), never just hidden in the UI.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true

from server.auth import Viewer
from server.db.models import (
    Course,
    CourseGroup,
    GroupMembership,
    Person,
    Role,
    ScheduledSession,
    SessionKind,
    StudyGroup,
)

MANAGERS = (Role.ADMIN, Role.STAFF)
EXAM_KINDS = (SessionKind.MIDTERM.value, SessionKind.EXAM.value)


def _my_group_ids(viewer: Viewer) -> Select[int]:
    return select(GroupMembership.group_id).where(GroupMembership.student_id == viewer.person_id)


def _taught_group_ids(viewer: Viewer) -> Select[int]:
    return select(ScheduledSession.group_id).where(ScheduledSession.tutor_id == viewer.person_id)


def sessions_filter(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.STAFF:
        return ScheduledSession.branch_id == viewer.branch_id
    if viewer.role == Role.TUTOR:
        return ScheduledSession.tutor_id == viewer.person_id
    if viewer.role == Role.STUDENT:
        return ScheduledSession.group_id.in_(_my_group_ids(viewer))
    if viewer.role == Role.PROCTOR:
        return (ScheduledSession.branch_id == viewer.branch_id) & ScheduledSession.kind.in_(
            EXAM_KINDS
        )
    return false()


def groups_filter(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.STAFF:
        return StudyGroup.branch_id == viewer.branch_id
    if viewer.role == Role.TUTOR:
        return StudyGroup.id.in_(_taught_group_ids(viewer))
    if viewer.role == Role.STUDENT:
        return StudyGroup.id.in_(_my_group_ids(viewer))
    return false()


def courses_filter(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.STAFF:
        return Course.branch_id == viewer.branch_id
    if viewer.role == Role.TUTOR:
        taught = select(ScheduledSession.course_id).where(
            ScheduledSession.tutor_id == viewer.person_id
        )
        return Course.id.in_(taught)
    if viewer.role == Role.STUDENT:
        enrolled = select(CourseGroup.course_id).where(
            CourseGroup.group_id.in_(_my_group_ids(viewer))
        )
        return Course.id.in_(enrolled)
    return false()


def people_filter(viewer: Viewer) -> ColumnElement[bool]:
    """Managers see their branch (admins everyone); tutors also see their groups' students."""
    if viewer.role == Role.ADMIN:
        return true()
    if viewer.role == Role.STAFF:
        return Person.branch_id == viewer.branch_id
    if viewer.role == Role.TUTOR:
        taught_student = exists().where(
            GroupMembership.student_id == Person.id,
            GroupMembership.group_id.in_(_taught_group_ids(viewer)),
        )
        return or_(Person.id == viewer.person_id, taught_student)
    return Person.id == viewer.person_id


def manages_session(viewer: Viewer, session: ScheduledSession) -> bool:
    """The session's tutor, or staff/admin (the session was looked up in their scope)."""
    return viewer.role in MANAGERS or session.tutor_id == viewer.person_id


def can_manage_branch(viewer: Viewer, branch_id: int) -> bool:
    return viewer.role == Role.ADMIN or (
        viewer.role == Role.STAFF and viewer.branch_id == branch_id
    )
