"""tasks, events, reminders

Revision ID: 0005_schedule
Revises: 0004_pipeline
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import crmcli.store.types


revision = '0005_schedule'
down_revision = '0004_pipeline'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = crmcli.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', _S(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', _S(length=8), nullable=False),
    sa.Column('priority', _S(length=8), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('due_at', _T(timezone=True), nullable=True),
    sa.Column('snoozed_until', _T(timezone=True), nullable=True),
    sa.Column('remind_at', _T(timezone=True), nullable=True),
    sa.Column('record_type', _S(length=32), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('recur_n', sa.Integer(), nullable=True),
    sa.Column('recur_unit', _S(length=8), nullable=True),
    sa.Column('recur_mode', _S(length=8), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('followup_id', sa.Integer(), nullable=True),
    sa.Column('done_at', _T(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', _T(timezone=True), nullable=False),
    sa.Column('updated_at', _T(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['followup_id'], ['followup.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_assignee_status_due', ['assignee_id', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_task_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('ix_task_remind_at', ['remind_at'], unique=False)

    op.create_table('task_participant',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('task_id', 'user_id')
    )
    with op.batch_alter_table('task_participant', schema=None) as batch_op:
        batch_op.create_index('ix_task_participant_user', ['user_id'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', _S(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('start_at', _T(timezone=True), nullable=False),
    sa.Column('end_at', _T(timezone=True), nullable=False),
    sa.Column('all_day', sa.Boolean(), nullable=False),
    sa.Column('location', _S(length=400), nullable=True),
    sa.Column('status', _S(length=12), nullable=False),
    sa.Column('cancel_reason', _S(), nullable=True),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('record_type', _S(length=32), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('remind_at', _T(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', _T(timezone=True), nullable=False),
    sa.Column('updated_at', _T(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['organizer_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('ix_event_remind_at', ['remind_at'], unique=False)

    op.create_table('event_attendee',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start_at', _T(timezone=True), nullable=False),
    sa.Column('end_at', _T(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('event_id', 'user_id')
    )
    with op.batch_alter_table('event_attendee', schema=None) as batch_op:
        batch_op.create_index('ix_event_attendee_user_end', ['user_id', 'end_at'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', _S(length=32), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('remind_at', _T(timezone=True), nullable=False),
    sa.Column('claim', _S(length=64), nullable=True),
    sa.Column('claimed_at', _T(timezone=True), nullable=True),
    sa.Column('sent_at', _T(timezone=True), nullable=True),
    sa.Column('channel', _S(length=16), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', _S(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'record_id', 'user_id', 'remind_at', name='uq_reminder_once')
    )

    for table in ('lead', 'customer', 'contact'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_owner_next_contact', ['owner_id', 'next_contact_at'], unique=False)


def downgrade() -> None:
    for table in ('contact', 'customer', 'lead'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_owner_next_contact')
    op.drop_table('reminder')
    with op.batch_alter_table('event_attendee', schema=None) as batch_op:
        batch_op.drop_index('ix_event_attendee_user_end')
    op.drop_table('event_attendee')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_remind_at')
        batch_op.drop_index('ix_event_record')
    op.drop_table('event')
    with op.batch_alter_table('task_participant', schema=None) as batch_op:
        batch_op.drop_index('ix_task_participant_user')
    op.drop_table('task_participant')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_remind_at')
        batch_op.drop_index('ix_task_record')
        batch_op.drop_index('ix_task_assignee_status_due')
    op.drop_table('task')
