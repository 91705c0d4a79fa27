"""room events: hands raised and lowered in a session's live room (for recording timelines)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 02:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KINDS = "'hand_raised', 'hand_lowered'"


def upgrade() -> None:
    op.create_table('room_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('by_person_id', sa.Integer(), nullable=True),
    sa.Column('at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f('ck_room_events_kind')),
    sa.ForeignKeyConstraint(['by_person_id'], ['people.id'], name=op.f('fk_room_events_by_person_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_room_events_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_room_events_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_events'))
    )
    with op.batch_alter_table('room_events', schema=None) as batch_op:
        batch_op.create_index('ix_room_events_session_at', ['session_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('room_events', schema=None) as batch_op:
        batch_op.drop_index('ix_room_events_session_at')
    op.drop_table('room_events')
