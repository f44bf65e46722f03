"""contracts, approvals, receivable plans, payments, invoices, currency rates

Revision ID: 0006_contracts
Revises: 0005_schedule
Create Date: 2026-11-30
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0006_contracts'
down_revision = '0005_schedule'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the tables of crmcli/store/models/contracts.py


def downgrade() -> None:
    pass
