"""Free-text search over records: SQLite FTS5 (trigram) or PostgreSQL pg_trgm.

``SEARCH_COLUMNS`` names, per table, the columns ``--search`` looks in.  On
SQLite an external-content FTS5 table with the trigram tokenizer (substring
matches, Chinese included) is kept in sync by triggers; on PostgreSQL a GIN
trigram index covers the concatenated columns and ``ILIKE`` uses it.  Queries
shorter than three characters cannot use trigrams and fall back to ``LIKE``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, text

SEARCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "lead": ("name", "company", "phone", "mobile", "email"),
    "customer": ("name", "phone", "email", "credit_code"),
    "contact": ("name", "phone", "mobile", "email", "wechat"),
}


def _concat(columns: tuple[str, ...], table: str | None = None) -> str:
    prefix = f"{table}." if table else ""
    return " || ' ' || ".join(f"coalesce({prefix}{c}, '')" for c in columns)


def sqlite_statements(table: str) -> list[str]:
    cols = SEARCH_COLUMNS[table]
    fts = f"{table}_fts"
    new_values = ", ".join(f"new.{c}" for c in cols)
    old_values = ", ".join(f"old.{c}" for c in cols)
    col_list = ", ".join(cols)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({col_list}, content='{table}', "
        f"content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new.id, {new_values}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.id, {old_values}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {col_list} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old.id, {old_values}); "
        f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new.id, {new_values}); END",
    ]


def postgresql_statements(table: str, trgm_schema: str = "public") -> list[str]:
    # The operator class is qualified by the schema pg_trgm lives in: crm's own schema
    # need not be on a search_path that includes it (a team may keep crm in schema "crm").
    return [
        f"CREATE INDEX IF NOT EXISTS ix_{table}_search ON {table} "
        f'USING gin (({_concat(SEARCH_COLUMNS[table])}) "{trgm_schema}".gin_trgm_ops)',
    ]


def statements(dialect: str, tables: tuple[str, ...] | None = None, trgm_schema: str = "public") -> list[str]:
    names = tables or tuple(SEARCH_COLUMNS)
    if dialect == "sqlite":
        return [s for t in names for s in sqlite_statements(t)]
    return [s for t in names for s in postgresql_statements(t, trgm_schema)]


def _trgm_schema(connection: Any) -> str | None:
    """Where pg_trgm is installed, installing it when it is missing and we may; None if unavailable."""
    find = ("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")
    schema = connection.exec_driver_sql(find).scalar()
    if schema is None:
        try:
            with connection.begin_nested():
                connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # noqa: BLE001 — no privilege: fall back to unindexed ILIKE
            return None
        schema = connection.exec_driver_sql(find).scalar()
    return schema


def install(connection: Any, tables: tuple[str, ...] | None = None) -> None:
    """Create the search structures; on PostgreSQL without pg_trgm, search works unindexed."""
    dialect = connection.dialect.name
    trgm_schema = "public"
    if dialect == "postgresql":
        found = _trgm_schema(connection)
        if found is None:
            return
        trgm_schema = found
    for statement in statements(dialect, tables, trgm_schema):
        connection.exec_driver_sql(statement)


def _escape_like(value: str) -> str:
    """``value`` for a LIKE pattern; every search and ``~`` filter comes through here, so the length
    limit is checked once (SQLite refuses a LIKE pattern past 50,000 bytes)."""
    from crmcli import limits

    if len(value) > limits.MAX_SEARCH:
        from crmcli.errors import ValidationError
        from crmcli.i18n import _

        raise ValidationError(_("a search may be at most {max} characters").format(max=limits.MAX_SEARCH))
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_clause(model: Any, query: str, dialect: str) -> Any:
    """A WHERE condition: the record's search columns contain ``query`` (case-insensitive)."""
    table = model.__tablename__
    cols = SEARCH_COLUMNS[table]
    query = query.strip()
    pattern = f"%{_escape_like(query)}%"
    if dialect == "postgresql":
        # the trigram index covers the joined columns; the per-column test keeps a match inside one
        # field, as FTS5 does on SQLite ("Ltd 021" must not join a company to a phone number)
        return and_(literal_column(f"({_concat(cols, table)})").ilike(pattern, escape="\\"),
                    or_(*[getattr(model, c).ilike(pattern, escape="\\") for c in cols]))
    if len(query) >= 3:
        fts = f"{table}_fts"
        phrase = '"' + query.replace('"', '""') + '"'
        return model.id.in_(select(literal_column("rowid")).select_from(text(fts)).where(
            text(f"{fts} MATCH :q").bindparams(q=phrase)))
    return or_(*[func.lower(getattr(model, c)).like(pattern.lower(), escape="\\") for c in cols])


def is_search_object(name: str | None) -> bool:
    """FTS shadow tables and trigram indexes: not in the models, so autogenerate must skip them."""
    if not name:
        return False
    return any(name.startswith(f"{t}_fts") or name == f"ix_{t}_search" for t in SEARCH_COLUMNS)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object`` hook."""
    return not (reflected and compare_to is None and is_search_object(name))


# --- bulk loads (SQLite) ------------------------------------------------------------------
# Row-by-row trigger maintenance of a trigram index costs several times the insert itself.
# A bulk load (import) drops the insert trigger inside its transaction, adds each batch to
# the index with one INSERT … SELECT over the batch's id range, and creates the trigger again
# before it commits; a rollback brings the trigger back by itself.  Update and delete
# triggers stay, so rows changed during the load are kept in step as usual.


def suspend_insert_trigger(dbapi_connection: Any, table: str) -> bool:
    """Drop ``table``'s FTS insert trigger (in the caller's transaction); False when the table has none."""
    if table not in SEARCH_COLUMNS:
        return False
    name = f"{table}_fts_ai"
    found = dbapi_connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).fetchone()
    if not found:
        return False
    dbapi_connection.execute(f"DROP TRIGGER {name}")
    return True


def fill(dbapi_connection: Any, table: str, first_id: int, last_id: int) -> None:
    """Add the rows ``first_id..last_id`` of ``table`` to its FTS index (set-based)."""
    cols = ", ".join(SEARCH_COLUMNS[table])
    dbapi_connection.execute(
        f"INSERT INTO {table}_fts(rowid, {cols}) SELECT id, {cols} FROM {table} WHERE id BETWEEN ? AND ?",
        (first_id, last_id))


def resume_insert_trigger(dbapi_connection: Any, table: str) -> None:
    """Create the insert trigger again (the statement ``install`` uses)."""
    dbapi_connection.execute(sqlite_statements(table)[1])
