"""Request bodies: strict shapes (unknown fields refused, lengths capped, times with a zone)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Annotated, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from server.db.models import Role, SessionKind, SessionMode, SessionStatus
from server.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[\w.-]+$")
]
Login = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=2, max_length=100, pattern=r"^[\w.@+-]+$"
    ),
]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
]
Locale = Annotated[str, StringConstraints(pattern=r"^(kk|ru|en)$")]


def _known_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("time must carry a zone offset, e.g. 2026-12-01T09:00:00+05:00")
    return value


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_known_zone)]
AwareDateTime = Annotated[datetime, AfterValidator(_aware)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Patch(Strict):
    """A partial update: absent fields stay; ``null`` only where the value may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        for name in self.model_fields_set - self.nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class LoginIn(Strict):
    login: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class MeUpdate(Patch):
    nullable = frozenset({"timezone"})
    timezone: TimeZone | None = None
    locale: Locale | None = None


class PersonIn(Strict):
    login: Login
    full_name: Name
    role: Role
    branch_id: Id
    password: Password
    email: Email | None = None
    timezone: TimeZone | None = None
    locale: Locale = "kk"


class PersonUpdate(Patch):
    nullable = frozenset({"email", "timezone"})
    full_name: Name | None = None
    email: Email | None = None
    role: Role | None = None
    branch_id: Id | None = None
    password: Password | None = None
    timezone: TimeZone | None = None
    locale: Locale | None = None
    active: bool | None = None


class BranchIn(Strict):
    code: Code
    name: Name
    city: Name
    is_head_office: bool = False


class GroupIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    speciality: Name
    year: Annotated[int, Field(ge=1, le=7)]
    term: Annotated[int, Field(ge=1, le=14)]
    branch_id: Id


class GroupUpdate(Patch):
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    speciality: Name | None = None
    year: Annotated[int, Field(ge=1, le=7)] | None = None
    term: Annotated[int, Field(ge=1, le=14)] | None = None


class CourseIn(Strict):
    code: Code
    discipline: Name
    credits: Annotated[int, Field(ge=1, le=60)]
    branch_id: Id


class CourseUpdate(Patch):
    discipline: Name | None = None
    credits: Annotated[int, Field(ge=1, le=60)] | None = None


class SessionIn(Strict):
    title: Name
    course_id: Id
    group_id: Id
    tutor_id: Id
    kind: SessionKind
    starts_at: AwareDateTime
    academic_hours: Annotated[int, Field(ge=1, le=8)] = 1
    mode: SessionMode = SessionMode.ONLINE


class SessionUpdate(Patch):
    title: Name | None = None
    tutor_id: Id | None = None
    kind: SessionKind | None = None
    starts_at: AwareDateTime | None = None
    academic_hours: Annotated[int, Field(ge=1, le=8)] | None = None
    mode: SessionMode | None = None
    status: SessionStatus | None = None
