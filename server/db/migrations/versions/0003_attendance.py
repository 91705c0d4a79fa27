"""attendance: presence events, manual corrections, the faculty's attendance policy

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

STATUSES = "'present', 'late', 'left_early', 'partial', 'absent', 'excused'"


def upgrade() -> None:
    op.create_table('presence_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('join', 'leave', 'heartbeat')", name=op.f('ck_presence_events_kind')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_presence_events_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_presence_events_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_events'))
    )
    with op.batch_alter_table('presence_events', schema=None) as batch_op:
        batch_op.create_index('ix_presence_events_session_person_at', ['session_id', 'person_id', 'at', 'id'], unique=False, postgresql_include=['kind'])

    op.create_table('attendance_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('corrected_by', sa.Integer(), nullable=False),
    sa.Column('corrected_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f('ck_attendance_corrections_status')),
    sa.ForeignKeyConstraint(['corrected_by'], ['people.id'], name=op.f('fk_attendance_corrections_corrected_by_people')),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_attendance_corrections_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_attendance_corrections_student_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_corrections'))
    )
    with op.batch_alter_table('attendance_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_corrections_session_student', ['session_id', 'student_id'], unique=False)

    op.create_table('attendance_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('late_after_minutes', sa.Integer(), nullable=False),
    sa.Column('left_early_minutes', sa.Integer(), nullable=False),
    sa.Column('present_percent', sa.Integer(), nullable=False),
    sa.Column('partial_percent', sa.Integer(), nullable=False),
    sa.Column('absence_threshold_hours', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_attendance_policy_single_row')),
    sa.CheckConstraint('partial_percent <= present_percent', name=op.f('ck_attendance_policy_percent_order')),
    sa.ForeignKeyConstraint(['updated_by'], ['people.id'], name=op.f('fk_attendance_policy_updated_by_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_policy'))
    )


def downgrade() -> None:
    op.drop_table('attendance_policy')
    with op.batch_alter_table('attendance_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_corrections_session_student')

    op.drop_table('attendance_corrections')
    with op.batch_alter_table('presence_events', schema=None) as batch_op:
        batch_op.drop_index('ix_presence_events_session_person_at')

    op.drop_table('presence_events')
