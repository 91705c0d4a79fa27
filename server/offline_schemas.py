"""Request bodies of off-line mode: inbox messages, assignments, drafts and submissions."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from server.schemas import AwareDateTime, Id, Strict

MAX_MESSAGE_CHARS = 10_000
MAX_FILES = 20
Text = Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]
UploadIds = Annotated[list[Id], Field(max_length=MAX_FILES)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MessageIn(Strict):
    """A message to an existing conversation, to one person, or (tutor or staff) to a group."""

    conversation_id: Id | None = None
    to_person_id: Id | None = None
    to_group_id: Id | None = None
    course_id: Id | None = None
    text: Text = ""
    upload_ids: UploadIds = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        targets = [self.conversation_id, self.to_person_id, self.to_group_id]
        if sum(t is not None for t in targets) != 1:
            raise ValueError("give exactly one of conversation_id, to_person_id, to_group_id")
        if self.conversation_id is not None and self.course_id is not None:
            raise ValueError("course_id belongs to a new conversation, not an existing one")
        if not self.text.strip() and not self.upload_ids:
            raise ValueError("a message needs text or at least one file")
        return self


class ReadIn(Strict):
    """Marks the viewer's messages of a conversation read up to and including ``up_to``."""

    up_to: Id


class AssignmentIn(Strict):
    """What a tutor sets: due time with a zone, points out of at most 100, accepted types."""

    course_id: Id
    group_id: Id
    title: Title
    instructions: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)] = ""
    due_at: AwareDateTime
    max_points: Annotated[int, Field(ge=1, le=100)] = 100
    accepted_types: Annotated[list[str], Field(min_length=1, max_length=20)]
    max_file_bytes: Annotated[int, Field(ge=1)]
    late_accepted: bool = False
    upload_ids: UploadIds = Field(default_factory=list)


class DraftIn(Strict):
    """The student's draft: replaced whole by each save."""

    text: Text = ""
    upload_ids: UploadIds = Field(default_factory=list)


class SubmitIn(Strict):
    """A final submission; without ``text`` and ``upload_ids`` the saved draft is submitted.

    ``base_version``, when given, must be the number of final versions the client has seen:
    two submits made from the same state then make exactly one new version (the other gets 409).
    """

    text: Text | None = None
    upload_ids: UploadIds | None = None
    base_version: Annotated[int, Field(ge=0, le=10_000)] | None = None
