"""Import runs (导入记录): one row per import of a file, so that an import that commits in chunks can be
resumed, and later listed, shown and reverted (issue 14).

``import_run`` records which file (its path, size and a cheap fingerprint: the SHA-256 of its first
and last MiB), the options the command was given, who ran it and when, how far it got (rows read,
inserted, updated, skipped as duplicates, rejected — as of its last committed chunk) and its state:
``running`` (or killed while running), ``done``, ``failed`` or ``interrupted``.  ``first_id`` and
``last_id`` bound the ids of the records it inserted (ids are reserved per batch, so other records
may lie between them).  Its foreign key points only at the foundation's ``user_account``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from crmcli.store.types import JSONText, UTCDateTime


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"
    __table_args__ = (Index("ix_import_run_file", "noun", "file_path"),)

    id: int | None = Field(default=None, primary_key=True)
    noun: str = Field(max_length=32)  # lead | customer | contact …
    file_path: str = Field(max_length=1000)  # absolute path, or - for stdin
    file_size: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    file_hash: str | None = Field(default=None, max_length=64)  # sha256 of the first and last MiB
    options: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    user_id: int = Field(foreign_key="user_account.id")
    status: str = Field(default="running", max_length=16)  # running | done | failed | interrupted
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    rows_read: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    rows_inserted: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    rows_updated: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    rows_skipped: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    rows_rejected: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    first_id: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    last_id: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
