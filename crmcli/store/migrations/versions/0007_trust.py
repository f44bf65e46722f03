"""trust: the operation log's real time of change, payment reversals

Revision ID: 0007_trust
Revises: 0006_contracts
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_trust'
down_revision = '0006_contracts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
