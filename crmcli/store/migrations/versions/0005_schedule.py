"""tasks, events, reminders

Revision ID: 0005_schedule
Revises: 0004_pipeline
Create Date: 2026-11-30
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0005_schedule'
down_revision = '0004_pipeline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the tables of crmcli/store/models/schedule.py


def downgrade() -> None:
    pass
