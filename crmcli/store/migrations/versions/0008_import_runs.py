"""import runs: each import's id, file and progress (resumable imports)

``import_run`` (model: ``crmcli/store/models/io.py``): one row per import — the file (path, size,
fingerprint), its options, who ran it, when, how far it got as of its last committed chunk, and
its state (running, done, failed, interrupted).  ``crm lead import --resume`` reads it.

Revision ID: 0008_import_runs
Revises: 0007_trust
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import crmcli.store.types


revision = '0008_import_runs'
down_revision = '0007_trust'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('noun', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('file_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('file_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('options', crmcli.store.types.JSONText(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('started_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', crmcli.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_inserted', sa.BigInteger(), nullable=False),
    sa.Column('rows_updated', sa.BigInteger(), nullable=False),
    sa.Column('rows_skipped', sa.BigInteger(), nullable=False),
    sa.Column('rows_rejected', sa.BigInteger(), nullable=False),
    sa.Column('first_id', sa.BigInteger(), nullable=True),
    sa.Column('last_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.create_index('ix_import_run_file', ['noun', 'file_path'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.drop_index('ix_import_run_file')
    op.drop_table('import_run')
