"""proctoring: a proctored session may allow speech (``scheduled_sessions.speech_allowed``)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


# Not in batch mode: on SQLite a batch copies the table and drops the old one, and with foreign
# keys on that drop deletes every row hanging on a session by ON DELETE CASCADE (chat,
# attendance, check-ins...). SQLite adds the column, and (3.35+) drops it, in place.


def upgrade() -> None:
    # Sessions scheduled before keep today's rule: speech is forbidden.
    op.add_column('scheduled_sessions', sa.Column('speech_allowed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('scheduled_sessions', 'speech_allowed')
