"""offline mode: uploads, inbox conversations and deliveries, assignments and submissions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 15:59:24.355525
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0005'
down_revision = '0004'  # after 0004_recordings (was '0003' before 0004 existed)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('tutor_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('instructions', sa.String(), nullable=False),
    sa.Column('due_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('max_points', sa.Integer(), nullable=False),
    sa.Column('accepted_types', sa.String(length=300), nullable=False),
    sa.Column('max_file_bytes', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('late_accepted', sa.Boolean(), nullable=False),
    sa.Column('created_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_file_bytes > 0', name=op.f('ck_assignments_max_file_bytes')),
    sa.CheckConstraint('max_points BETWEEN 1 AND 100', name=op.f('ck_assignments_max_points')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_assignments_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_assignments_group_id_study_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tutor_id'], ['people.id'], name=op.f('fk_assignments_tutor_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_tutor_id'), ['tutor_id'], unique=False)

    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('direct', 'group')", name=op.f('ck_conversations_kind')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_conversations_course_id_courses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_conversations_created_by_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_conversations_group_id_study_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('key', name=op.f('uq_conversations_key'))
    )
    op.create_table('inbox_counters',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_inbox_counters_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_inbox_counters'))
    )
    op.create_table('uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('extension', sa.String(length=16), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('length', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('received', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('max_bytes', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('accepted', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('partial', 'complete')", name=op.f('ck_uploads_state')),
    sa.CheckConstraint('received <= length', name=op.f('ck_uploads_received')),
    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], name=op.f('fk_uploads_owner_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_uploads_storage_name'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_owner_id'), ['owner_id'], unique=False)

    op.create_table('assignment_files',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_files_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_assignment_files_upload_id_uploads')),
    sa.PrimaryKeyConstraint('assignment_id', 'position', name=op.f('pk_assignment_files'))
    )
    with op.batch_alter_table('assignment_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_files_upload_id'), ['upload_id'], unique=False)

    op.create_table('conversation_members',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_members_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_conversation_members_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversation_id', 'person_id', name=op.f('pk_conversation_members'))
    )
    with op.batch_alter_table('conversation_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_members_person_id'), ['person_id'], unique=False)

    op.create_table('inbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('folded', sa.String(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_inbox_messages_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['people.id'], name=op.f('fk_inbox_messages_sender_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_messages')),
    sa.UniqueConstraint('sender_id', 'idempotency_key', name=op.f('uq_inbox_messages_sender_id_idempotency_key'))
    )
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_messages_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('draft_text', sa.String(), nullable=False),
    sa.Column('draft_uploads', sa.String(), nullable=False),
    sa.Column('draft_saved_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('versions', sa.Integer(), nullable=False),
    sa.Column('submitted_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_submissions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_submissions_student_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('assignment_id', 'student_id', name=op.f('uq_submissions_assignment_id_student_id'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_assignment_id'), ['assignment_id'], unique=False)

    op.create_table('inbox_deliveries',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('read_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_inbox_deliveries_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['inbox_messages.id'], name=op.f('fk_inbox_deliveries_message_id_inbox_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_inbox_deliveries_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'seq', name=op.f('pk_inbox_deliveries')),
    sa.UniqueConstraint('person_id', 'message_id', name=op.f('uq_inbox_deliveries_person_id_message_id'))
    )
    with op.batch_alter_table('inbox_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_deliveries_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_inbox_deliveries_person_conversation', ['person_id', 'conversation_id'], unique=False)

    op.create_table('inbox_message_files',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['inbox_messages.id'], name=op.f('fk_inbox_message_files_message_id_inbox_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_inbox_message_files_upload_id_uploads')),
    sa.PrimaryKeyConstraint('message_id', 'position', name=op.f('pk_inbox_message_files'))
    )
    with op.batch_alter_table('inbox_message_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_message_files_upload_id'), ['upload_id'], unique=False)

    op.create_table('submission_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_submission_versions_student_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_versions_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_versions')),
    sa.UniqueConstraint('student_id', 'idempotency_key', name=op.f('uq_submission_versions_student_id_idempotency_key')),
    sa.UniqueConstraint('submission_id', 'number', name=op.f('uq_submission_versions_submission_id_number'))
    )
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_versions_submission_id'), ['submission_id'], unique=False)

    op.create_table('submission_files',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_submission_files_upload_id_uploads')),
    sa.ForeignKeyConstraint(['version_id'], ['submission_versions.id'], name=op.f('fk_submission_files_version_id_submission_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'position', name=op.f('pk_submission_files'))
    )
    with op.batch_alter_table('submission_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_files_upload_id'), ['upload_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('submission_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_files_upload_id'))

    op.drop_table('submission_files')
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_versions_submission_id'))

    op.drop_table('submission_versions')
    with op.batch_alter_table('inbox_message_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_message_files_upload_id'))

    op.drop_table('inbox_message_files')
    with op.batch_alter_table('inbox_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_deliveries_person_conversation')
        batch_op.drop_index(batch_op.f('ix_inbox_deliveries_message_id'))

    op.drop_table('inbox_deliveries')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_assignment_id'))

    op.drop_table('submissions')
    with op.batch_alter_table('inbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_messages_conversation_id'))

    op.drop_table('inbox_messages')
    with op.batch_alter_table('conversation_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_members_person_id'))

    op.drop_table('conversation_members')
    with op.batch_alter_table('assignment_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_files_upload_id'))

    op.drop_table('assignment_files')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_owner_id'))

    op.drop_table('uploads')
    op.drop_table('inbox_counters')
    op.drop_table('conversations')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_tutor_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_group_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_course_id'))

    op.drop_table('assignments')
