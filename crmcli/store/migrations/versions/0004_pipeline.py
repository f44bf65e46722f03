"""stages, opportunities, products, quotes

Revision ID: 0004_pipeline
Revises: 0003_pool
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import crmcli.store.types


revision = '0004_pipeline'
down_revision = '0003_pool'
branch_labels = None
depends_on = None

# Money and quantities (crmcli.store.models.pipeline.Fixed) are BIGINT hundredths / thousandths.
_FIXED = sa.BigInteger


def _text(length=None):
    return sqlmodel.sql.sqltypes.AutoString(length=length) if length else sqlmodel.sql.sqltypes.AutoString()


def _when(name, nullable=True):
    return sa.Column(name, crmcli.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('product_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', _text(120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    _when('created_at', False),
    sa.ForeignKeyConstraint(['parent_id'], ['product_category.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('parent_id', 'name', name='uq_product_category_name')
    )
    stage = op.create_table('stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', _text(32), nullable=True),
    sa.Column('name', _text(80), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', _text(8), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    _when('created_at', False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', _text(64), nullable=False),
    sa.Column('name', _text(200), nullable=False),
    sa.Column('unit', _text(32), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('list_price', _FIXED(), nullable=False),
    sa.Column('cost', _FIXED(), nullable=True),
    sa.Column('currency', _text(3), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=True),
    sa.Column('on_sale', sa.Boolean(), nullable=False),
    sa.Column('description', _text(), nullable=True),
    _when('created_at', False),
    _when('updated_at', False),
    sa.ForeignKeyConstraint(['category_id'], ['product_category.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('price_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', _text(16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('min_quantity', _FIXED(), nullable=True),
    sa.Column('customer_tier', _text(16), nullable=True),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.Column('discount', _FIXED(), nullable=False),
    _when('created_at', False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('opportunity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', _text(200), nullable=False),
    sa.Column('amount', _FIXED(), nullable=False),
    sa.Column('currency', _text(3), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('status', _text(8), nullable=False),
    sa.Column('expected_close', sa.Date(), nullable=True),
    sa.Column('source', _text(32), nullable=True),
    sa.Column('lost_reason', _text(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    _when('owned_since'),
    _when('stage_changed_at'),
    _when('closed_at'),
    _when('last_followup_at'),
    _when('next_contact_at'),
    sa.Column('custom', crmcli.store.types.JSONText(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    _when('created_at', False),
    _when('updated_at', False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunity_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_opportunity_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_opportunity_pipeline',
                              ['owner_id', 'status', 'stage_id', 'currency', 'expected_close', 'amount'], unique=False)
        batch_op.create_index('ix_opportunity_status_close', ['status', 'expected_close'], unique=False)

    op.create_table('opportunity_contact',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], ),
    sa.PrimaryKeyConstraint('opportunity_id', 'contact_id')
    )
    op.create_table('opportunity_product',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', _FIXED(), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('opportunity_id', 'product_id')
    )
    op.create_table('quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('currency', _text(3), nullable=False),
    sa.Column('tax_rate', _FIXED(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status', _text(12), nullable=False),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('subtotal', _FIXED(), nullable=False),
    sa.Column('tax', _FIXED(), nullable=False),
    sa.Column('total', _FIXED(), nullable=False),
    sa.Column('note', _text(), nullable=True),
    sa.Column('reject_reason', _text(), nullable=True),
    _when('sent_at'),
    _when('decided_at'),
    sa.Column('created_by', sa.Integer(), nullable=True),
    _when('created_at', False),
    _when('updated_at', False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.create_index('ix_quote_opportunity', ['opportunity_id'], unique=False)

    op.create_table('stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('to_stage_id', sa.Integer(), nullable=False),
    sa.Column('move', _text(8), nullable=False),
    sa.Column('reason', _text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    _when('at', False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['from_stage_id'], ['stage.id'], ),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], ),
    sa.ForeignKeyConstraint(['to_stage_id'], ['stage.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index('ix_stage_change_opportunity', ['opportunity_id', 'to_stage_id', 'at'], unique=False)
        batch_op.create_index('ix_stage_change_to', ['to_stage_id', 'opportunity_id'], unique=False)

    op.create_table('quote_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('description', _text(200), nullable=False),
    sa.Column('unit', _text(32), nullable=True),
    sa.Column('quantity', _FIXED(), nullable=False),
    sa.Column('unit_price', _FIXED(), nullable=False),
    sa.Column('discount', _FIXED(), nullable=False),
    sa.Column('total', _FIXED(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['quote_id'], ['quote.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quote_line', schema=None) as batch_op:
        batch_op.create_index('ix_quote_line_quote', ['quote_id', 'position'], unique=False)

    # An upgraded database gets the default stages a new one is created with.
    # (key, name, probability, kind): as crmcli.services.stages.DEFAULT_STAGES was at this revision.
    from crmcli import clock

    defaults = [("new", "new", 10, "open"), ("confirmed", "needs confirmed", 30, "open"),
                ("proposal", "proposal/quote", 50, "open"), ("negotiation", "negotiation/contract", 80, "open"),
                ("won", "won", 100, "won"), ("lost", "lost", 0, "lost")]
    now = clock.now()
    op.bulk_insert(stage, [
        {"key": key, "name": name, "probability": probability, "position": i, "kind": kind, "retired": False,
         "created_at": now}
        for i, (key, name, probability, kind) in enumerate(defaults, start=1)])


def downgrade() -> None:
    for table in ('quote_line', 'stage_change', 'quote', 'opportunity_product', 'opportunity_contact',
                  'opportunity', 'price_rule', 'product', 'stage', 'product_category'):
        op.drop_table(table)
