"""grades: graded items, grades with their change history, control plans, grade sheets and
their audit trail

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 16:12:57.789751
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('control_plans',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('admission_percent', sa.Integer(), nullable=False),
    sa.Column('admission_min', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('admission_min BETWEEN 0 AND 100', name=op.f('ck_control_plans_admission_min')),
    sa.CheckConstraint('admission_percent BETWEEN 0 AND 100', name=op.f('ck_control_plans_admission_percent')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_control_plans_course_id_courses')),
    sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_control_plans_group_id_study_groups')),
    sa.ForeignKeyConstraint(['updated_by'], ['people.id'], name=op.f('fk_control_plans_updated_by_people')),
    sa.PrimaryKeyConstraint('course_id', 'group_id', name=op.f('pk_control_plans'))
    )
    op.create_table('grade_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('assignment', 'test', 'colloquium', 'practical', 'midterm', 'final_exam', 'other')", name=op.f('ck_grade_items_kind')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_grade_items_assignment_id_assignments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_grade_items_course_id_courses')),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_grade_items_created_by_people')),
    sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_grade_items_group_id_study_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_items')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_grade_items_assignment_id'))
    )
    with op.batch_alter_table('grade_items', schema=None) as batch_op:
        batch_op.create_index('ix_grade_items_course_group', ['course_id', 'group_id', 'held_on'], unique=False)

    op.create_table('grade_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('examiner_id', sa.Integer(), nullable=True),
    sa.Column('signed_by', sa.Integer(), nullable=True),
    sa.Column('signed_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('snapshot', sa.String(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'signed')", name=op.f('ck_grade_sheets_status')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_grade_sheets_course_id_courses')),
    sa.ForeignKeyConstraint(['examiner_id'], ['people.id'], name=op.f('fk_grade_sheets_examiner_id_people')),
    sa.ForeignKeyConstraint(['group_id'], ['study_groups.id'], name=op.f('fk_grade_sheets_group_id_study_groups')),
    sa.ForeignKeyConstraint(['item_id'], ['grade_items.id'], name=op.f('fk_grade_sheets_item_id_grade_items')),
    sa.ForeignKeyConstraint(['signed_by'], ['people.id'], name=op.f('fk_grade_sheets_signed_by_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_sheets')),
    sa.UniqueConstraint('item_id', name=op.f('uq_grade_sheets_item_id'))
    )
    with op.batch_alter_table('grade_sheets', schema=None) as batch_op:
        batch_op.create_index('ix_grade_sheets_course_group', ['course_id', 'group_id'], unique=False)

    op.create_table('grades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('tenths', sa.Integer(), nullable=False),
    sa.Column('feedback', sa.String(length=2000), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('graded_by', sa.Integer(), nullable=False),
    sa.Column('graded_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', server.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('tenths BETWEEN 0 AND 1000', name=op.f('ck_grades_tenths')),
    sa.ForeignKeyConstraint(['graded_by'], ['people.id'], name=op.f('fk_grades_graded_by_people')),
    sa.ForeignKeyConstraint(['item_id'], ['grade_items.id'], name=op.f('fk_grades_item_id_grade_items')),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_grades_student_id_people')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_grades_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grades')),
    sa.UniqueConstraint('item_id', 'student_id', name=op.f('uq_grades_item_id_student_id'))
    )
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grades_student_id'), ['student_id'], unique=False)

    op.create_table('grade_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grade_id', sa.Integer(), nullable=False),
    sa.Column('old_tenths', sa.Integer(), nullable=True),
    sa.Column('new_tenths', sa.Integer(), nullable=False),
    sa.Column('old_feedback', sa.String(length=2000), nullable=True),
    sa.Column('new_feedback', sa.String(length=2000), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=False),
    sa.Column('changed_at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('api', 'gradebook', 'submission')", name=op.f('ck_grade_changes_source')),
    sa.ForeignKeyConstraint(['changed_by'], ['people.id'], name=op.f('fk_grade_changes_changed_by_people')),
    sa.ForeignKeyConstraint(['grade_id'], ['grades.id'], name=op.f('fk_grade_changes_grade_id_grades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_changes'))
    )
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_changes_grade_id'), ['grade_id'], unique=False)

    op.create_table('grade_sheet_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('at', server.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('snapshot', sa.String(), nullable=True),
    sa.CheckConstraint("action IN ('signed', 'reopened', 'refused')", name=op.f('ck_grade_sheet_events_action')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_grade_sheet_events_person_id_people')),
    sa.ForeignKeyConstraint(['sheet_id'], ['grade_sheets.id'], name=op.f('fk_grade_sheet_events_sheet_id_grade_sheets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_sheet_events'))
    )
    with op.batch_alter_table('grade_sheet_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_sheet_events_sheet_id'), ['sheet_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('grade_sheet_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_sheet_events_sheet_id'))

    op.drop_table('grade_sheet_events')
    with op.batch_alter_table('grade_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_changes_grade_id'))

    op.drop_table('grade_changes')
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grades_student_id'))

    op.drop_table('grades')
    with op.batch_alter_table('grade_sheets', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_sheets_course_group')

    op.drop_table('grade_sheets')
    with op.batch_alter_table('grade_items', schema=None) as batch_op:
        batch_op.drop_index('ix_grade_items_course_group')

    op.drop_table('grade_items')
    op.drop_table('control_plans')
