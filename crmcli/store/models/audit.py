"""The operation log (操作记录): append-only, one row per change.

Database triggers (created by the migration) refuse UPDATE and DELETE on it,
so not even a bug in a later service can rewrite history.

Two times per row: ``at`` is the business time of the change (``CRM_NOW`` when set, so a
back-fill or a demo can date its changes), ``recorded_at`` the real wall-clock time the row was
written, never ``CRM_NOW``: a back-dated change is visible as such.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from crmcli.store.types import JSONText, UTCDateTime


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_record", "record_type", "record_id"),
        Index("ix_audit_actor_at", "actor_id", "at"),
        Index("ix_audit_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # the real time, never CRM_NOW
    actor_id: int | None = Field(default=None)
    actor_login: str = Field(max_length=64)
    action: str = Field(max_length=64)
    record_type: str = Field(max_length=32)
    record_id: int | None = Field(default=None)
    record_label: str | None = Field(default=None, max_length=200)
    command: str | None = None
    changes: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    reason: str | None = None


def append_only_drop_statements(dialect: str) -> list[str]:
    """Remove the append-only triggers: only a migration that must rewrite every row (adding a
    column and filling it) does this, and puts them back with :func:`append_only_statements`
    in the same transaction."""
    if dialect == "sqlite":
        return ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"]
    return ["DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log"]


def append_only_statements(dialect: str) -> list[str]:
    """Triggers that make ``audit_log`` refuse UPDATE and DELETE (used by create and migrations)."""
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END",
        ]
    return [
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the operation log is append-only'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ]
