"""proctoring: exam check-ins (photos, media checks, identity decision, exam state), behaviour
flags and proctors' notes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

STATES = (
    "'not_started', 'checking_in', 'awaiting_identity', 'approved', 'rejected', 'in_exam', "
    "'paused', 'handed_in', 'ended_by_proctor'"
)
SOURCES = "'browser', 'server'"
NOTE_KINDS = "'incident', 'approved', 'rejected', 'paused', 'resumed', 'ended'"


def upgrade() -> None:
    op.create_table('exam_checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('face_photo', sa.String(length=100), nullable=True),
    sa.Column('document_photo', sa.String(length=100), nullable=True),
    sa.Column('media_checks', sa.String(length=2000), nullable=True),
    sa.Column('submitted_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.String(length=500), nullable=True),
    sa.Column('started_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"state IN ({STATES})", name=op.f('ck_exam_checkins_state')),
    sa.ForeignKeyConstraint(['decided_by'], ['people.id'], name=op.f('fk_exam_checkins_decided_by_people')),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_exam_checkins_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_exam_checkins_student_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_checkins')),
    sa.UniqueConstraint('session_id', 'student_id', name=op.f('uq_exam_checkins_session_id_student_id'))
    )
    with op.batch_alter_table('exam_checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_checkins_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_checkins_student_id'), ['student_id'], unique=False)

    op.create_table('proctoring_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('evidence', sa.String(length=2000), nullable=True),
    sa.CheckConstraint(f"source IN ({SOURCES})", name=op.f('ck_proctoring_flags_source')),
    sa.ForeignKeyConstraint(['checkin_id'], ['exam_checkins.id'], name=op.f('fk_proctoring_flags_checkin_id_exam_checkins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proctoring_flags'))
    )
    with op.batch_alter_table('proctoring_flags', schema=None) as batch_op:
        batch_op.create_index('ix_proctoring_flags_checkin_at', ['checkin_id', 'at'], unique=False)

    op.create_table('proctoring_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.CheckConstraint(f"kind IN ({NOTE_KINDS})", name=op.f('ck_proctoring_notes_kind')),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_proctoring_notes_author_id_people')),
    sa.ForeignKeyConstraint(['checkin_id'], ['exam_checkins.id'], name=op.f('fk_proctoring_notes_checkin_id_exam_checkins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proctoring_notes'))
    )
    with op.batch_alter_table('proctoring_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proctoring_notes_checkin_id'), ['checkin_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proctoring_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proctoring_notes_checkin_id'))
    op.drop_table('proctoring_notes')
    with op.batch_alter_table('proctoring_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_proctoring_flags_checkin_at')
    op.drop_table('proctoring_flags')
    with op.batch_alter_table('exam_checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_checkins_student_id'))
        batch_op.drop_index(batch_op.f('ix_exam_checkins_session_id'))
    op.drop_table('exam_checkins')
