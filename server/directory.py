"""People and branches: who exists, who manages whom."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.auth import Viewer
from server.db.models import Branch, Person, Role
from server.db.queries import commit_or_conflict, get_visible
from server.errors import Forbidden, NotFound
from server.passwords import PasswordService
from server.schemas import BranchIn, MeUpdate, PersonIn, PersonUpdate
from server.scope import MANAGERS, can_manage_branch, people_filter


class DirectoryService:
    """Creates, reads and updates people and branches within the viewer's scope."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], passwords: PasswordService):
        self._sessions = sessions
        self._passwords = passwords

    async def branches(self) -> list[Branch]:
        async with self._sessions() as db:
            return list(await db.scalars(select(Branch).order_by(Branch.id)))

    async def create_branch(self, viewer: Viewer, data: BranchIn) -> Branch:
        viewer.require(Role.ADMIN)
        async with self._sessions() as db:
            branch = Branch(**data.model_dump())
            db.add(branch)
            await commit_or_conflict(db, f"branch code {data.code!r} is taken")
            return branch

    async def people(
        self, viewer: Viewer, role: Role | None, branch_id: int | None, limit: int, offset: int
    ) -> list[Person]:
        viewer.require(*MANAGERS, Role.TUTOR)
        query = select(Person).where(people_filter(viewer))
        if role is not None:
            query = query.where(Person.role == role.value)
        if branch_id is not None:
            query = query.where(Person.branch_id == branch_id)
        async with self._sessions() as db:
            return list(await db.scalars(query.order_by(Person.id).limit(limit).offset(offset)))

    async def person(self, viewer: Viewer, person_id: int) -> Person:
        async with self._sessions() as db:
            return await get_visible(db, Person, person_id, people_filter(viewer), "person")

    async def create_person(self, viewer: Viewer, data: PersonIn) -> Person:
        self._check_may_assign(viewer, data.branch_id, data.role)
        fields = data.model_dump(exclude={"password", "role"})
        password_hash = await self._passwords.hash(data.password)
        async with self._sessions() as db:
            await _existing_branch(db, data.branch_id)
            person = Person(**fields, role=data.role.value, password_hash=password_hash)
            db.add(person)
            await commit_or_conflict(db, f"login {data.login!r} is taken")
            return person

    async def update_person(self, viewer: Viewer, person_id: int, data: PersonUpdate) -> Person:
        viewer.require(*MANAGERS)
        changes = data.model_dump(exclude_unset=True, exclude={"password"})
        if data.password is not None:
            changes["password_hash"] = await self._passwords.hash(data.password)
        async with self._sessions() as db:
            person = await get_visible(db, Person, person_id, people_filter(viewer), "person")
            self._check_may_assign(
                viewer, changes.get("branch_id", person.branch_id), changes.get("role", person.role)
            )
            if "branch_id" in changes:
                await _existing_branch(db, changes["branch_id"])
            for name, value in changes.items():
                setattr(person, name, value.value if isinstance(value, Role) else value)
            await commit_or_conflict(db, "the change conflicts with existing data")
            return person

    async def update_me(self, viewer: Viewer, data: MeUpdate) -> Person:
        async with self._sessions() as db:
            person = await get_visible(
                db, Person, viewer.person_id, Person.id == viewer.person_id, "person"
            )
            for name, value in data.model_dump(exclude_unset=True).items():
                setattr(person, name, value)
            await db.commit()
            return person

    @staticmethod
    def _check_may_assign(viewer: Viewer, branch_id: int, role: str) -> None:
        viewer.require(*MANAGERS)
        if not can_manage_branch(viewer, branch_id):
            raise Forbidden("staff manage people of their own branch only")
        if role == Role.ADMIN and viewer.role != Role.ADMIN:
            raise Forbidden("only an admin may create or promote an admin")


async def _existing_branch(db: AsyncSession, branch_id: int) -> Branch:
    branch = await db.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"branch {branch_id} not found")
    return branch
