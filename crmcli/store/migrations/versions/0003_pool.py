"""customer pools, lead pool, recycling rules

Revision ID: 0003_pool
Revises: 0002_records
Create Date: 2026-11-30
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0003_pool'
down_revision = '0002_records'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the tables of crmcli/store/models/pool.py


def downgrade() -> None:
    pass
