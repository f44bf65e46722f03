"""import runs: each import's id, file and progress (resumable imports)

Revision ID: 0008_import_runs
Revises: 0007_trust
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_import_runs'
down_revision = '0007_trust'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
