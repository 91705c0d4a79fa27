"""recordings: capture runs of sessions and their playable files

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

STATUSES = "'recording', 'processing', 'ready', 'failed', 'expired'"


def upgrade() -> None:
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('started_by', sa.Integer(), nullable=True),
    sa.Column('folder', sa.String(length=200), nullable=False),
    sa.Column('started_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stop_reason', sa.String(length=32), nullable=True),
    sa.Column('phase', sa.String(length=16), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('failure', sa.String(length=500), nullable=True),
    sa.Column('media_started_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f('ck_recordings_status')),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_recordings_progress')),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_recordings_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by'], ['people.id'], name=op.f('fk_recordings_started_by_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_session_id'), ['session_id'], unique=False)

    op.create_table('recording_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_recording_files_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_recording_files_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_files'))
    )
    with op.batch_alter_table('recording_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recording_files_recording_id'), ['recording_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recording_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recording_files_recording_id'))

    op.drop_table('recording_files')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_session_id'))

    op.drop_table('recordings')
