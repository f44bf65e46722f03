"""customer pools, lead pool, recycling rules

Revision ID: 0003_pool
Revises: 0002_records
Create Date: 2026-11-30
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import sqlmodel
import crmcli.store.types


revision = '0003_pool'
down_revision = '0002_records'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('everyone', sa.Boolean(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.Column('created_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', name='uq_pool_name')
    )
    op.create_table('pool_member',
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('member_type', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('added_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['pool.id'], ),
    sa.PrimaryKeyConstraint('pool_id', 'member_type', 'member_id')
    )
    with op.batch_alter_table('pool_member', schema=None) as batch_op:
        batch_op.create_index('ix_pool_member_member', ['member_type', 'member_id'], unique=False)
    op.create_table('pool_rule',
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('followup_days', sa.Integer(), nullable=True),
    sa.Column('followup_via', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('min_note', sa.Integer(), nullable=True),
    sa.Column('deal_days', sa.Integer(), nullable=True),
    sa.Column('exempt_locked', sa.Boolean(), nullable=True),
    sa.Column('exempt_deal', sa.Boolean(), nullable=True),
    sa.Column('warn_days', sa.Integer(), nullable=True),
    sa.Column('max_owned', sa.Integer(), nullable=True),
    sa.Column('max_claims_per_day', sa.Integer(), nullable=True),
    sa.Column('reclaim_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['pool_id'], ['pool.id'], ),
    sa.PrimaryKeyConstraint('pool_id', 'tier')
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pooled_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('prev_owner_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pooled_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('prev_owner_id', sa.Integer(), nullable=True))

    # The default public pool and the lead pool, with the default rules (as crm init makes them:
    # crmcli.services.pool.seed_defaults).  Customers and leads already without an owner are in them.
    # (the values of crmcli.services.pool.DEFAULT_RULE / LEAD_RULE when this migration was written)
    DEFAULT_RULE = dict(followup_days=30, followup_via='phone,email,visit,sms,wechat', min_note=6, deal_days=90,
                        exempt_locked=True, exempt_deal=False, warn_days=3, max_owned=0, max_claims_per_day=0,
                        reclaim_days=7)
    LEAD_RULE = dict(DEFAULT_RULE, followup_days=0, deal_days=0, warn_days=0)
    now = datetime.now(timezone.utc)
    pool = sa.table('pool', sa.column('id', sa.Integer()), sa.column('name', sa.String()),
                    sa.column('kind', sa.String()), sa.column('is_default', sa.Boolean()),
                    sa.column('everyone', sa.Boolean()),
                    sa.column('created_at', crmcli.store.types.UTCDateTime(timezone=True)))
    op.bulk_insert(pool, [
        {'id': 1, 'name': 'Public pool', 'kind': 'customer', 'is_default': True, 'everyone': True, 'created_at': now},
        {'id': 2, 'name': 'Lead pool', 'kind': 'lead', 'is_default': True, 'everyone': True, 'created_at': now},
    ])
    rule = sa.table('pool_rule', *[sa.column(name) for name in ('pool_id', 'tier', *DEFAULT_RULE)])
    op.bulk_insert(rule, [{'pool_id': 1, 'tier': '*', **DEFAULT_RULE}, {'pool_id': 2, 'tier': '*', **LEAD_RULE}])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('pool', 'id'), 2)")


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('prev_owner_id')
        batch_op.drop_column('pooled_at')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('prev_owner_id')
        batch_op.drop_column('pooled_at')
        batch_op.drop_column('pool_id')
    op.drop_table('pool_rule')
    with op.batch_alter_table('pool_member', schema=None) as batch_op:
        batch_op.drop_index('ix_pool_member_member')
    op.drop_table('pool_member')
    op.drop_table('pool')
