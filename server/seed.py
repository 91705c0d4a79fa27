"""Demo data for a first run: branches, people of every role, groups, courses and a week of
sessions of every kind. Runs only on an empty database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import (
    Branch,
    Course,
    CourseGroup,
    GroupMembership,
    Person,
    Role,
    ScheduledSession,
    SessionKind,
    SessionMode,
    StudyGroup,
    utcnow,
)
from server.passwords import PasswordService

BRANCHES = [
    ("KRG", "Караганда — головной офис", "Karaganda", True),
    ("AST", "Астана", "Astana", False),
    ("SHY", "Шымкент", "Shymkent", False),
    ("PAV", "Павлодар", "Pavlodar", False),
    ("KOS", "Костанай", "Kostanay", False),
]
TUTORS = [("tutor.akhmetova", "Айгуль Ахметова"), ("tutor.serikbayev", "Ерлан Серикбаев")]
GROUPS = [
    (
        "ИС-21-1",
        "Информационные системы",
        2,
        3,
        ["Алия Нуржанова", "Данияр Касымов", "Мадина Ибраева"],
    ),
    ("ЭК-22-1", "Экономика", 1, 1, ["Арман Жумабеков", "Сауле Тулегенова", "Тимур Омаров"]),
]
COURSES = [("IS-201", "Базы данных", 5), ("EC-101", "Микроэкономика", 5)]


@dataclass(frozen=True)
class DemoLogin:
    """One demo sign-in to print for the person who started the server."""

    login: str
    role: str
    name: str


async def seed_demo(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordService, password: str
) -> list[DemoLogin]:
    """Creates demo data once; returns the sign-ins created (empty when data already exists)."""
    async with sessions() as db:
        if await db.scalar(select(func.count()).select_from(Person)):
            return []
        password_hash = await passwords.hash(password)
        branches = await _branches(db)
        head = branches["KRG"]
        people = _people(branches, password_hash)
        db.add_all(people)
        await db.flush()
        by_login = {p.login: p for p in people}
        groups = await _groups(db, head, by_login)
        courses = await _courses(db, head, groups)
        db.add_all(_week_of_sessions(courses, groups, by_login, head, utcnow()))
        await db.commit()
        return [DemoLogin(p.login, p.role, p.full_name) for p in people]


async def _branches(db: AsyncSession) -> dict[str, Branch]:
    await ensure_branches(db)
    return {b.code: b for b in await db.scalars(select(Branch))}


async def ensure_branches(db: AsyncSession) -> None:
    """The faculty's head office and branch offices: reference data, present in production too."""
    known = set(await db.scalars(select(Branch.code)))
    db.add_all(
        Branch(code=code, name=name, city=city, is_head_office=head)
        for code, name, city, head in BRANCHES
        if code not in known
    )
    await db.flush()


def _people(branches: dict[str, Branch], password_hash: str) -> list[Person]:
    head = branches["KRG"]

    def person(login: str, name: str, role: Role, branch: Branch) -> Person:
        return Person(
            login=login,
            full_name=name,
            role=role.value,
            branch_id=branch.id,
            password_hash=password_hash,
            locale="kk",
        )

    people = [person("admin", "Администратор Sabaq", Role.ADMIN, head)]
    people += [
        person(f"staff.{b.city.lower()}", f"Деканат — {b.name}", Role.STAFF, b)
        for b in branches.values()
    ]
    people += [person(login, name, Role.TUTOR, head) for login, name in TUTORS]
    for group_index, (_, _, _, _, students) in enumerate(GROUPS, start=1):
        people += [
            person(f"student{group_index}.{i}", name, Role.STUDENT, head)
            for i, name in enumerate(students, start=1)
        ]
    people.append(person("proctor", "Гульнара Прокторова", Role.PROCTOR, head))
    return people


async def _groups(db: AsyncSession, head: Branch, by_login: dict[str, Person]) -> list[StudyGroup]:
    groups = []
    for index, (name, speciality, year, term, students) in enumerate(GROUPS, start=1):
        group = StudyGroup(
            name=name, speciality=speciality, year=year, term=term, branch_id=head.id
        )
        db.add(group)
        await db.flush()
        db.add_all(
            GroupMembership(group_id=group.id, student_id=by_login[f"student{index}.{i}"].id)
            for i in range(1, len(students) + 1)
        )
        groups.append(group)
    return groups


async def _courses(db: AsyncSession, head: Branch, groups: list[StudyGroup]) -> list[Course]:
    courses = [
        Course(code=code, discipline=name, credits=credits, branch_id=head.id)
        for code, name, credits in COURSES
    ]
    db.add_all(courses)
    await db.flush()
    db.add_all(
        CourseGroup(course_id=c.id, group_id=g.id) for c, g in zip(courses, groups, strict=True)
    )
    return courses


def _week_of_sessions(
    courses: list[Course],
    groups: list[StudyGroup],
    by_login: dict[str, Person],
    head: Branch,
    now: datetime,
) -> list[ScheduledSession]:
    """Every kind in the coming week; the first lecture opens for joining right away."""
    soon = now.replace(second=0, microsecond=0) + timedelta(minutes=5)
    tutors = [by_login[login] for login, _ in TUTORS]
    plan = [
        (0, SessionKind.LECTURE, "Лекция 5. Нормальные формы", 2),
        (1, SessionKind.PRACTICAL, "Практика: SQL-запросы", 2),
        (1, SessionKind.CONSULTATION, "Консультация перед РК1", 1),
        (2, SessionKind.COLLOQUIUM, "Коллоквиум: транзакции", 2),
        (3, SessionKind.MIDTERM, "Рубежный контроль 1", 1),
        (5, SessionKind.EXAM, "Экзамен (пробный)", 2),
    ]
    sessions = []
    for index, (day, kind, title, hours) in enumerate(plan):
        for course, group, tutor in zip(courses, groups, tutors, strict=True):
            starts = soon if index == 0 else soon + timedelta(days=day, hours=index)
            sessions.append(
                ScheduledSession(
                    title=title,
                    course_id=course.id,
                    group_id=group.id,
                    tutor_id=tutor.id,
                    branch_id=head.id,
                    kind=kind.value,
                    mode=SessionMode.ONLINE.value,
                    starts_at=starts,
                    academic_hours=hours,
                )
            )
    return sessions
