"""proctoring after the exam: verdicts, the log of review views, the photos' purge mark and the
``verdict`` note kind

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

VERDICTS = "'no_concerns', 'concerns', 'violation'"
OLD_NOTE_KINDS = "'incident', 'approved', 'rejected', 'paused', 'resumed', 'ended'"
NOTE_KINDS = OLD_NOTE_KINDS + ", 'verdict'"


def upgrade() -> None:
    op.create_table('proctoring_verdicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=False),
    sa.Column('decided_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"verdict IN ({VERDICTS})", name=op.f('ck_proctoring_verdicts_verdict')),
    sa.ForeignKeyConstraint(['checkin_id'], ['exam_checkins.id'], name=op.f('fk_proctoring_verdicts_checkin_id_exam_checkins'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by'], ['people.id'], name=op.f('fk_proctoring_verdicts_decided_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proctoring_verdicts')),
    sa.UniqueConstraint('checkin_id', name=op.f('uq_proctoring_verdicts_checkin_id'))
    )
    op.create_table('proctoring_review_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_proctoring_review_views_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_proctoring_review_views_student_id_people')),
    sa.ForeignKeyConstraint(['viewer_id'], ['people.id'], name=op.f('fk_proctoring_review_views_viewer_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proctoring_review_views'))
    )
    with op.batch_alter_table('proctoring_review_views', schema=None) as batch_op:
        batch_op.create_index('ix_proctoring_review_views_exam', ['session_id', 'student_id'], unique=False)
    with op.batch_alter_table('exam_checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_purged_at', server.db.models.UTCDateTime(timezone=True), nullable=True))
    _note_kinds(NOTE_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM proctoring_notes WHERE kind = 'verdict'")
    _note_kinds(OLD_NOTE_KINDS)
    # Not in batch mode: on SQLite a batch copies exam_checkins and drops the old table, and with
    # foreign keys on that drop deletes every flag, note and verdict that cascades from it.
    op.drop_column('exam_checkins', 'media_purged_at')
    with op.batch_alter_table('proctoring_review_views', schema=None) as batch_op:
        batch_op.drop_index('ix_proctoring_review_views_exam')
    op.drop_table('proctoring_review_views')
    op.drop_table('proctoring_verdicts')


def _note_kinds(kinds: str) -> None:
    """Replaces the CHECK on proctoring_notes.kind (SQLite: batch mode copies the table)."""
    with op.batch_alter_table('proctoring_notes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_proctoring_notes_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_proctoring_notes_kind'), f"kind IN ({kinds})")
