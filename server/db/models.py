"""The relational model: branches, people, groups, courses, scheduled sessions, sign-in sessions.

Enumerations are stored as short strings with CHECK constraints so that the same migration runs
on SQLite and PostgreSQL. Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    TUTOR = "tutor"
    STUDENT = "student"
    PROCTOR = "proctor"


class SessionKind(enum.StrEnum):
    LECTURE = "lecture"
    PRACTICAL = "practical"
    CONSULTATION = "consultation"
    COLLOQUIUM = "colloquium"
    MIDTERM = "midterm"
    EXAM = "exam"


class SessionMode(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


ACADEMIC_HOUR_MINUTES = 50


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite gives naive values back, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Branch(Base):
    """The head office (Karaganda) or one of the faculty's branch offices."""

    __tablename__ = "branches"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    is_head_office: Mapped[bool] = mapped_column(default=False)


class Person(Base):
    """Anyone who signs in: admin, staff, tutor, student or proctor; belongs to one branch."""

    __tablename__ = "people"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="kk")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StudyGroup(Base):
    """Students of one speciality, year and term (regulation §8.3)."""

    __tablename__ = "study_groups"
    __table_args__ = (
        CheckConstraint("year BETWEEN 1 AND 7", name="year"),
        CheckConstraint("term BETWEEN 1 AND 14", name="term"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    speciality: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    term: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)


class GroupMembership(Base):
    """A student enrolled in a study group."""

    __tablename__ = "group_memberships"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("study_groups.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Course(Base):
    """A discipline with its credits, run by a branch."""

    __tablename__ = "courses"
    __table_args__ = (CheckConstraint("credits BETWEEN 1 AND 60", name="credits"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    discipline: Mapped[str] = mapped_column(String(200))
    credits: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)


class CourseGroup(Base):
    """A study group enrolled in a course."""

    __tablename__ = "course_groups"
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("study_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ScheduledSession(Base):
    """One class on the timetable: a lecture, consultation, exam… for a course and group."""

    __tablename__ = "scheduled_sessions"
    __table_args__ = (
        CheckConstraint(_in("kind", SessionKind), name="kind"),
        CheckConstraint(_in("mode", SessionMode), name="mode"),
        CheckConstraint(_in("status", SessionStatus), name="status"),
        CheckConstraint("academic_hours BETWEEN 1 AND 8", name="academic_hours"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id"), index=True)
    tutor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8), default=SessionMode.ONLINE.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    academic_hours: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.SCHEDULED.value)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def minutes(self) -> int:
        return self.academic_hours * ACADEMIC_HOUR_MINUTES


class AuthSession(Base):
    """A signed-in browser: the cookie holds a random token; only its hash is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (UniqueConstraint("token_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class ChatKind(enum.StrEnum):
    MESSAGE = "message"
    ANNOUNCEMENT = "announcement"
    DELETION = "deletion"
    SETTING = "setting"


class ChatCounter(Base):
    """The last ``seq`` given in a session's chat; its row lock orders concurrent writers."""

    __tablename__ = "chat_counters"
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class ChatEntry(Base):
    """One entry of a session's chat log: a message, an announcement, a deletion or a setting.

    Every entry takes the next ``seq`` of its session, so a client that asks "since N" replays
    messages and deletions in one order, each once. ``nonce`` (client-made) makes resends safe.
    """

    __tablename__ = "chat_entries"
    __table_args__ = (
        UniqueConstraint("session_id", "seq"),
        UniqueConstraint("session_id", "sender_id", "nonce"),
        CheckConstraint(_in("kind", ChatKind), name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_sessions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(String(2000), default="")
    nonce: Mapped[str] = mapped_column(String(64))
    target_seq: Mapped[int | None] = mapped_column(Integer)
    students_may_chat: Mapped[bool | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PresenceKind(enum.StrEnum):
    JOIN = "join"
    LEAVE = "leave"
    HEARTBEAT = "heartbeat"


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    PARTIAL = "partial"
    ABSENT = "absent"
    EXCUSED = "excused"


class PresenceEvent(Base):
    """A join, leave or heartbeat of one person in one session's live room; never changed."""

    __tablename__ = "presence_events"
    __table_args__ = (
        CheckConstraint(_in("kind", PresenceKind), name="kind"),
        Index(
            "ix_presence_events_session_person_at",
            "session_id",
            "person_id",
            "at",
            "id",
            postgresql_include=["kind"],
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scheduled_sessions.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AttendanceCorrection(Base):
    """A manual status (``None``: back to the derived one) with who, when and why; append-only."""

    __tablename__ = "attendance_corrections"
    __table_args__ = (
        CheckConstraint(_in("status", AttendanceStatus), name="status"),
        Index("ix_attendance_corrections_session_student", "session_id", "student_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scheduled_sessions.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    status: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttendancePolicyRecord(Base):
    """The faculty's attendance thresholds: one row (id 1); absent means the defaults."""

    __tablename__ = "attendance_policy"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("partial_percent <= present_percent", name="percent_order"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    late_after_minutes: Mapped[int] = mapped_column(Integer)
    left_early_minutes: Mapped[int] = mapped_column(Integer)
    present_percent: Mapped[int] = mapped_column(Integer)
    partial_percent: Mapped[int] = mapped_column(Integer)
    absence_threshold_hours: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
