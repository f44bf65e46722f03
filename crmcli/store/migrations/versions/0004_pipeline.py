"""stages, opportunities, products, quotes

Revision ID: 0004_pipeline
Revises: 0003_pool
Create Date: 2026-11-30
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0004_pipeline'
down_revision = '0003_pool'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the tables of crmcli/store/models/pipeline.py


def downgrade() -> None:
    pass
