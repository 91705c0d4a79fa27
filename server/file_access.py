"""Who may download an uploaded file: its owner, the members of a conversation it was sent to,
whoever sees the assignment it belongs to, and the tutors and staff who see a submission of it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_

from server.assignments import TUTORS, assignments_filter
from server.auth import Viewer
from server.db.models import (
    Assignment,
    AssignmentFile,
    InboxDelivery,
    InboxMessageFile,
    Submission,
    SubmissionFile,
    SubmissionVersion,
    Upload,
    UploadState,
)


def readable_uploads(viewer: Viewer) -> ColumnElement[bool]:
    sent_to_me = exists().where(
        InboxMessageFile.upload_id == Upload.id,
        InboxDelivery.message_id == InboxMessageFile.message_id,
        InboxDelivery.person_id == viewer.person_id,
    )
    set_for_me = exists().where(
        AssignmentFile.upload_id == Upload.id,
        Assignment.id == AssignmentFile.assignment_id,
        assignments_filter(viewer),
    )
    submitted_to_me = (
        exists().where(
            SubmissionFile.upload_id == Upload.id,
            SubmissionVersion.id == SubmissionFile.version_id,
            Submission.id == SubmissionVersion.submission_id,
            Assignment.id == Submission.assignment_id,
            assignments_filter(viewer),
        )
        if viewer.role in TUTORS
        else false()
    )
    return (Upload.state == UploadState.COMPLETE.value) & or_(
        Upload.owner_id == viewer.person_id, sent_to_me, set_for_me, submitted_to_me
    )
