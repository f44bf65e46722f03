"""Database objects SQLModel's metadata cannot express, created beside the tables.

Used by :func:`crmcli.store.migrate.create_schema` for a new database; each
migration that introduces one of these calls the same function for its part,
so both paths end with the same objects.
"""

from __future__ import annotations

from typing import Any

from crmcli.store import search
from crmcli.store.models.audit import append_only_statements


def install_all(connection: Any) -> None:
    for statement in append_only_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    search.install(connection)
