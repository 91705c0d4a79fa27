"""The relational model: branches, people, groups, courses, scheduled sessions, sign-in sessions.

Enumerations are stored as short strings with CHECK constraints so that the same migration runs
on SQLite and PostgreSQL. Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
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
    # A proctored exam answered aloud (or read aloud by permission): the server's speech check
    # leaves the students' microphones alone. Set by the tutor or staff.
    speech_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())

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


# --- Off-line mode: uploads, inbox, assignments and submissions ---------------------------------


class UploadState(enum.StrEnum):
    PARTIAL = "partial"
    COMPLETE = "complete"


Size = BigInteger().with_variant(Integer, "sqlite")


class Upload(Base):
    """A file someone sent, streamed in one request or resumed over tus, under a server-made name.

    ``received`` grows while a resumable upload is partial; a complete upload has passed the
    extension and content checks and carries its SHA-256.
    """

    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint(_in("state", UploadState), name="state"),
        CheckConstraint("received <= length", name="received"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    extension: Mapped[str] = mapped_column(String(16))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    length: Mapped[int] = mapped_column(Size)
    received: Mapped[int] = mapped_column(Size, default=0)
    max_bytes: Mapped[int] = mapped_column(Size)
    accepted: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    state: Mapped[str] = mapped_column(String(16), default=UploadState.PARTIAL.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversationKind(enum.StrEnum):
    DIRECT = "direct"
    GROUP = "group"


class Conversation(Base):
    """A thread of inbox messages: two people (direct) or a tutor or staff member and a group;
    optionally about one course. ``key`` makes starting the same conversation twice find it."""

    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint(_in("kind", ConversationKind), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("study_groups.id", ondelete="SET NULL"))
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversationMember(Base):
    """A person who reads and writes a conversation."""

    __tablename__ = "conversation_members"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class InboxMessage(Base):
    """One message, stored once per sender and client idempotency key; ``folded`` is the
    casefolded text that search compares with (SQLite's LIKE folds ASCII only)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (UniqueConstraint("sender_id", "idempotency_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String())
    folded: Mapped[str] = mapped_column(String())
    idempotency_key: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboxMessageFile(Base):
    """A file attached to a message, with its name and size as they were sent."""

    __tablename__ = "inbox_message_files"
    message_id: Mapped[int] = mapped_column(
        ForeignKey("inbox_messages.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)


class InboxCounter(Base):
    """The last ``seq`` of a person's inbox stream; its row lock orders concurrent deliveries."""

    __tablename__ = "inbox_counters"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class InboxDelivery(Base):
    """A message in one person's inbox stream, numbered per person, so "since N" misses nothing;
    ``read_at`` is that person's read receipt (set at once for the sender's own copy)."""

    __tablename__ = "inbox_deliveries"
    __table_args__ = (
        UniqueConstraint("person_id", "message_id"),
        Index("ix_inbox_deliveries_person_conversation", "person_id", "conversation_id"),
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("inbox_messages.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Assignment(Base):
    """Work a tutor sets for one course and group: due time, points, accepted file types."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("max_points BETWEEN 1 AND 100", name="max_points"),
        CheckConstraint("max_file_bytes > 0", name="max_file_bytes"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("study_groups.id", ondelete="CASCADE"), index=True
    )
    tutor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(String(), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_points: Mapped[int] = mapped_column(Integer, default=100)
    accepted_types: Mapped[str] = mapped_column(String(300))
    max_file_bytes: Mapped[int] = mapped_column(Size)
    late_accepted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AssignmentFile(Base):
    """A file the tutor attached to an assignment."""

    __tablename__ = "assignment_files"
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)


class Submission(Base):
    """One student's work on one assignment: the draft and how many final versions exist.

    Its row is what concurrent final submits of the same student take in turn.
    """

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    draft_text: Mapped[str] = mapped_column(String(), default="")
    draft_uploads: Mapped[str] = mapped_column(String(), default="[]")
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    versions: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)


class SubmissionVersion(Base):
    """A final submission; every one is kept. ``idempotency_key`` (per student) is what makes a
    resent submit return this version instead of making another."""

    __tablename__ = "submission_versions"
    __table_args__ = (
        UniqueConstraint("submission_id", "number"),
        UniqueConstraint("student_id", "idempotency_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(), default="")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    late: Mapped[bool] = mapped_column(default=False)


class SubmissionFile(Base):
    """A file of a final version, with the name, size and SHA-256 its receipt shows."""

    __tablename__ = "submission_files"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("submission_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Size)
    sha256: Mapped[str] = mapped_column(String(64))


class RecordingStatus(enum.StrEnum):
    RECORDING = "recording"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


class Recording(Base):
    """One capture run of a session (start to stop), then its processing into playable files.

    ``folder`` is relative to RECORDINGS_DIR and made by the server; ``media_started_at`` is the
    wall-clock time of the published files' first second (for placing chat on the timeline).
    """

    __tablename__ = "recordings"
    __table_args__ = (
        CheckConstraint(_in("status", RecordingStatus), name="status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_sessions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=RecordingStatus.RECORDING.value)
    automatic: Mapped[bool] = mapped_column(default=False)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    folder: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    phase: Mapped[str | None] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    failure: Mapped[str | None] = mapped_column(String(500))
    media_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[float | None] = mapped_column(Float)


class RecordingFile(Base):
    """A playable file of a recording: the lecture, or one exam student's camera and screen."""

    __tablename__ = "recording_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    duration_seconds: Mapped[float] = mapped_column(Float, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


# --- Grades: graded items, grades and their history, control plans, grade sheets ---------------


class GradeKind(enum.StrEnum):
    ASSIGNMENT = "assignment"
    TEST = "test"
    COLLOQUIUM = "colloquium"
    PRACTICAL = "practical"
    MIDTERM = "midterm"
    FINAL_EXAM = "final_exam"
    OTHER = "other"


class GradeSource(enum.StrEnum):
    API = "api"
    GRADEBOOK = "gradebook"
    SUBMISSION = "submission"


class SheetStatus(enum.StrEnum):
    OPEN = "open"
    SIGNED = "signed"


class SheetAction(enum.StrEnum):
    SIGNED = "signed"
    REOPENED = "reopened"
    REFUSED = "refused"


class ControlPlan(Base):
    """How a course's final mark is formed for one group: the admission rating's share (the
    exam takes the rest) and the admission rating needed to sit the exam. Its row is also the
    lock that orders grading and signing within the course and group."""

    __tablename__ = "control_plans"
    __table_args__ = (
        CheckConstraint("admission_percent BETWEEN 0 AND 100", name="admission_percent"),
        CheckConstraint("admission_min BETWEEN 0 AND 100", name="admission_min"),
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id"), primary_key=True)
    admission_percent: Mapped[int] = mapped_column(Integer, default=60)
    admission_min: Mapped[int] = mapped_column(Integer, default=50)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GradeItem(Base):
    """Something graded on the 100-point scale for one course and group: a task, a test, a
    colloquium answer, a midterm control (РК) or the final exam; optionally an assignment's."""

    __tablename__ = "grade_items"
    __table_args__ = (
        CheckConstraint(_in("kind", GradeKind), name="kind"),
        UniqueConstraint("assignment_id"),
        Index("ix_grade_items_course_group", "course_id", "group_id", "held_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL")
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Grade(Base):
    """A student's points on a grade item, in tenths (0..1000), with feedback; students see it
    once ``released_at`` is set."""

    __tablename__ = "grades"
    __table_args__ = (
        UniqueConstraint("item_id", "student_id"),
        CheckConstraint("tenths BETWEEN 0 AND 1000", name="tenths"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("grade_items.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    tenths: Mapped[int] = mapped_column(Integer)
    feedback: Mapped[str] = mapped_column(String(2000), default="")
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    graded_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GradeChange(Base):
    """One change of a grade: who, when, the old and new value and feedback, why, by which
    path. Append-only: the first grading is a change from nothing."""

    __tablename__ = "grade_changes"
    __table_args__ = (CheckConstraint(_in("source", GradeSource), name="source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"), index=True)
    old_tenths: Mapped[int | None] = mapped_column(Integer)
    new_tenths: Mapped[int] = mapped_column(Integer)
    old_feedback: Mapped[str | None] = mapped_column(String(2000))
    new_feedback: Mapped[str] = mapped_column(String(2000))
    reason: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GradeSheet(Base):
    """The grade sheet (ведомость) of one control (a midterm or the final exam item). Signing
    stores what was signed (``snapshot``, JSON) and freezes the grades it covers."""

    __tablename__ = "grade_sheets"
    __table_args__ = (
        CheckConstraint(_in("status", SheetStatus), name="status"),
        UniqueConstraint("item_id"),
        Index("ix_grade_sheets_course_group", "course_id", "group_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("grade_items.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id"))
    status: Mapped[str] = mapped_column(String(16), default=SheetStatus.OPEN.value)
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snapshot: Mapped[str | None] = mapped_column(String())


class GradeSheetEvent(Base):
    """The audit trail of a sheet: signed (with what was signed), re-opened (with the reason)
    and every refused attempt to change what it froze. Append-only."""

    __tablename__ = "grade_sheet_events"
    __table_args__ = (CheckConstraint(_in("action", SheetAction), name="action"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("grade_sheets.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    detail: Mapped[str] = mapped_column(String(500), default="")
    snapshot: Mapped[str | None] = mapped_column(String())


# --- Proctoring: exam check-in and identity, behaviour flags, proctors' notes ------------------


class CheckinState(enum.StrEnum):
    NOT_STARTED = "not_started"
    CHECKING_IN = "checking_in"
    AWAITING_IDENTITY = "awaiting_identity"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_EXAM = "in_exam"
    PAUSED = "paused"
    HANDED_IN = "handed_in"
    ENDED_BY_PROCTOR = "ended_by_proctor"


class FlagSourceKind(enum.StrEnum):
    BROWSER = "browser"
    SERVER = "server"


class NoteKind(enum.StrEnum):
    INCIDENT = "incident"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAUSED = "paused"
    RESUMED = "resumed"
    ENDED = "ended"
    VERDICT = "verdict"


class ExamCheckin(Base):
    """One student's check-in for one exam (or midterm) session: photos, the browser's media
    checks, the proctor's identity decision and where the exam stands. Photos are stored under
    server-made names in DATA_DIR/proctoring; ``media_checks`` is the browser's report (JSON)."""

    __tablename__ = "exam_checkins"
    __table_args__ = (
        CheckConstraint(_in("state", CheckinState), name="state"),
        UniqueConstraint("session_id", "student_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_sessions.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=CheckinState.CHECKING_IN.value)
    face_photo: Mapped[str | None] = mapped_column(String(100))
    document_photo: Mapped[str | None] = mapped_column(String(100))
    media_checks: Mapped[str | None] = mapped_column(String(2000))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(500))
    # Set when the retention purge removed the photos (the record itself is kept).
    media_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProctoringFlag(Base):
    """A behaviour flag on a student's exam timeline: reported by the browser or raised by the
    server (face check), with the time it happened, when it arrived and its evidence (JSON)."""

    __tablename__ = "proctoring_flags"
    __table_args__ = (
        CheckConstraint(_in("source", FlagSourceKind), name="source"),
        Index("ix_proctoring_flags_checkin_at", "checkin_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("exam_checkins.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    detail: Mapped[str] = mapped_column(String(500), default="")
    evidence: Mapped[str | None] = mapped_column(String(2000))


class ProctoringNote(Base):
    """What a proctor (or the tutor) did or wrote about one student's exam: an incident note,
    an identity decision, a pause, a resume or an end. Append-only."""

    __tablename__ = "proctoring_notes"
    __table_args__ = (CheckConstraint(_in("kind", NoteKind), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("exam_checkins.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    text: Mapped[str] = mapped_column(String(2000), default="")


class RoomEventKind(enum.StrEnum):
    HAND_RAISED = "hand_raised"
    HAND_LOWERED = "hand_lowered"


class RoomEvent(Base):
    """Something that happened in a session's live room and is shown along its recording's
    timeline: a hand going up or down. ``by_person_id`` is the moderator who lowered someone
    else's hand (None when people raise or lower their own). Append-only."""

    __tablename__ = "room_events"
    __table_args__ = (
        CheckConstraint(_in("kind", RoomEventKind), name="kind"),
        Index("ix_room_events_session_at", "session_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scheduled_sessions.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(16))
    by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Proctoring after the exam: the verdict, the log of review views --------------------------


class Verdict(enum.StrEnum):
    NO_CONCERNS = "no_concerns"
    CONCERNS = "concerns"
    VIOLATION = "violation"


class ProctoringVerdict(Base):
    """The overseers' verdict on one student's exam (the current one; every change is also a
    ``verdict`` note). It is part of the student's result and shown on the control's sheet."""

    __tablename__ = "proctoring_verdicts"
    __table_args__ = (
        CheckConstraint(_in("verdict", Verdict), name="verdict"),
        UniqueConstraint("checkin_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("exam_checkins.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(String(2000), default="")
    decided_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReviewView(Base):
    """One opening of a student's proctoring review: who looked at whose exam, and when.
    Append-only (privacy: every view of a review is logged)."""

    __tablename__ = "proctoring_review_views"
    __table_args__ = (Index("ix_proctoring_review_views_exam", "session_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scheduled_sessions.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    viewer_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
