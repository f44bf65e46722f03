"""trust: the operation log's real time of change, payment reversals

* ``audit_log.recorded_at`` — the real wall-clock time a row was written, beside the business
  time ``at`` (which ``CRM_NOW`` sets).  Existing rows get ``recorded_at = at``: the best that is
  known of them.  Filling the column rewrites every row, which the append-only triggers refuse,
  so they are dropped and put back in this same transaction (a failed upgrade leaves them as
  they were).  On SQLite the column is added with ``ALTER TABLE``, filled, and made NOT NULL by
  Alembic's batch mode (a copy of the table, whose triggers are then created on the copy).
* ``payment.reverses_id`` (unique: a payment is reversed at most once) and ``payment.reason`` —
  a reversing entry cancels a payment (``crm contract pay --reverse``).

Revision ID: 0007_trust
Revises: 0006_contracts
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import crmcli.store.types


revision = '0007_trust'
down_revision = '0006_contracts'
branch_labels = None
depends_on = None


def _triggers(install: bool) -> None:
    from crmcli.store.models.audit import append_only_drop_statements, append_only_statements

    dialect = op.get_bind().dialect.name
    for statement in (append_only_statements if install else append_only_drop_statements)(dialect):
        op.execute(statement)


def upgrade() -> None:
    _triggers(install=False)
    op.add_column('audit_log', sa.Column('recorded_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE audit_log SET recorded_at = at")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('recorded_at', existing_type=crmcli.store.types.UTCDateTime(timezone=True),
                              nullable=False)
    _triggers(install=True)

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverses_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_foreign_key('fk_payment_reverses_id_payment', 'payment', ['reverses_id'], ['id'])
        batch_op.create_index('ux_payment_reverses', ['reverses_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ux_payment_reverses')
        batch_op.drop_constraint('fk_payment_reverses_id_payment', type_='foreignkey')
        batch_op.drop_column('reason')
        batch_op.drop_column('reverses_id')

    _triggers(install=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('recorded_at')
    _triggers(install=True)
