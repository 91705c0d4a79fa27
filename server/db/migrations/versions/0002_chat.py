"""chat: one log of entries per session (messages, announcements, deletions, settings)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:36:02.076029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_counters',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_chat_counters_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_chat_counters'))
    )
    op.create_table('chat_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('target_seq', sa.Integer(), nullable=True),
    sa.Column('students_may_chat', sa.Boolean(), nullable=True),
    sa.Column('created_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('message', 'announcement', 'deletion', 'setting')", name=op.f('ck_chat_entries_kind')),
    sa.ForeignKeyConstraint(['recipient_id'], ['people.id'], name=op.f('fk_chat_entries_recipient_id_people')),
    sa.ForeignKeyConstraint(['sender_id'], ['people.id'], name=op.f('fk_chat_entries_sender_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['scheduled_sessions.id'], name=op.f('fk_chat_entries_session_id_scheduled_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_entries')),
    sa.UniqueConstraint('session_id', 'sender_id', 'nonce', name=op.f('uq_chat_entries_session_id_sender_id_nonce')),
    sa.UniqueConstraint('session_id', 'seq', name=op.f('uq_chat_entries_session_id_seq'))
    )
    with op.batch_alter_table('chat_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_entries_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('chat_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_entries_session_id'))

    op.drop_table('chat_entries')
    op.drop_table('chat_counters')
