"""contracts, approvals, receivable plans, payments, invoices, currency rates

Revision ID: 0006_contracts
Revises: 0005_schedule
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import crmcli.store.types


revision = '0006_contracts'
down_revision = '0005_schedule'
branch_labels = None
depends_on = None

# Money, quantities and rates (crmcli.store.models.contracts.Scaled) are BIGINT counts of 10**-scale.
_SCALED = sa.BigInteger


def upgrade() -> None:
    op.create_table('number_counter',
    sa.Column('pattern', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('pattern', 'year')
    )
    op.create_table('numbering',
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('pattern', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('record_type')
    )
    op.create_table('approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('amount', _SCALED(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('steps', crmcli.store.types.JSONText(), nullable=True),
    sa.Column('current_step', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['submitted_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.create_index('ix_approval_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('ix_approval_status', ['status', 'id'], unique=False)

    op.create_table('approval_flow',
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('steps', crmcli.store.types.JSONText(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('record_type')
    )
    op.create_table('currency_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('quote', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('rate', _SCALED(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('base', 'quote', 'valid_from', name='uq_currency_rate')
    )
    op.create_table('approval_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['approval_id'], ['approval.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.create_index('ix_approval_decision_approval', ['approval_id', 'step'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('amount', _SCALED(), nullable=False),
    sa.Column('paid', _SCALED(), nullable=False),
    sa.Column('invoiced', _SCALED(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('terms', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('approval_id', sa.Integer(), nullable=True),
    sa.Column('owned_since', crmcli.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('activated_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_followup_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_contact_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_contract_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_contract_owner_status', ['owner_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_contract_status_end', ['status', 'end_on'], unique=False)

    op.create_table('contract_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('quantity', _SCALED(), nullable=False),
    sa.Column('unit_price', _SCALED(), nullable=False),
    sa.Column('total', _SCALED(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contract_item', schema=None) as batch_op:
        batch_op.create_index('ix_contract_item_contract', ['contract_id', 'position'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('amount', _SCALED(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('buyer_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('buyer_tax_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_contract', ['contract_id'], unique=False)

    op.create_table('receivable_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('amount', _SCALED(), nullable=False),
    sa.Column('paid', _SCALED(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('remind_days', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'seq', name='uq_receivable_plan_seq')
    )
    with op.batch_alter_table('receivable_plan', schema=None) as batch_op:
        batch_op.create_index('ix_receivable_plan_status_due', ['status', 'due_on'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('amount', _SCALED(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('allocation', crmcli.store.types.JSONText(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['receivable_plan.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index('ix_payment_contract', ['contract_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_contract')

    op.drop_table('payment')
    with op.batch_alter_table('receivable_plan', schema=None) as batch_op:
        batch_op.drop_index('ix_receivable_plan_status_due')

    op.drop_table('receivable_plan')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_contract')

    op.drop_table('invoice')
    with op.batch_alter_table('contract_item', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_item_contract')

    op.drop_table('contract_item')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_status_end')
        batch_op.drop_index('ix_contract_owner_status')
        batch_op.drop_index('ix_contract_customer')
        batch_op.drop_index(batch_op.f('ix_contract_created_at'))

    op.drop_table('contract')
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_decision_approval')

    op.drop_table('approval_decision')
    op.drop_table('currency_rate')
    op.drop_table('approval_flow')
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_status')
        batch_op.drop_index('ix_approval_record')

    op.drop_table('approval')
    op.drop_table('numbering')
    op.drop_table('number_counter')
