"""The two ways to a schema — create_all for a new database, the Alembic chain for an old one —
must end in the same place, and `crm db upgrade` must keep the data of an old database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import crmcli.store.models  # noqa: F401
from crmcli.store import migrate, schema
from crmcli.store.search import include_object
from tests.conftest import backend, run_crm


def _objects(engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
            return {(r[0], r[1]) for r in rows}
        insp = inspect(conn)
        found = {("table", t) for t in insp.get_table_names()}
        for t in insp.get_table_names():
            found |= {("index", i["name"]) for i in insp.get_indexes(t)}
        found |= {("trigger", r[0]) for r in conn.execute(text(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT tgisinternal AND c.relnamespace = current_schema()::regnamespace"))}
        return found


def test_known_revisions_match_the_migration_chain():
    assert list(schema.KNOWN_REVISIONS) == migrate.script_revisions()


def test_migrations_and_create_all_build_the_same_schema(empty_db_url, tmp_path):
    migrated = create_engine(empty_db_url)
    migrate.upgrade(migrated)
    with migrated.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False, "include_object": include_object}), SQLModel.metadata)
    assert diffs == []
    migrated_objects = _objects(migrated)
    migrated.dispose()

    if backend() == "sqlite":
        fresh_url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    else:  # reuse the same schema: drop and recreate it with create_all
        with create_engine(empty_db_url).begin() as conn:
            current = conn.execute(text("SELECT current_schema()")).scalar()
            conn.execute(text(f'DROP SCHEMA "{current}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{current}"'))
        fresh_url = empty_db_url
    fresh = create_engine(fresh_url)
    with fresh.begin() as conn:
        migrate.create_schema(conn)
    assert _objects(fresh) == migrated_objects
    fresh.dispose()


def test_upgrade_keeps_the_data_of_an_old_database(empty_db_url):
    engine = create_engine(empty_db_url)
    migrate.upgrade(engine, schema.KNOWN_REVISIONS[0])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO department (id, name, parent_id, created_at) "
                          "VALUES (1, 'Office', NULL, '2026-01-01 00:00:00')"))
    engine.dispose()

    refused = run_crm(["--db", empty_db_url, "--user", "x", "user", "list"])
    assert refused.code == 1
    assert "run crm db upgrade" in refused.err

    upgraded = run_crm(["--db", empty_db_url, "db", "upgrade"])
    assert upgraded.code == 0, upgraded
    if backend() == "sqlite":
        assert "Backed up to" in upgraded.err
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == schema.HEAD
        assert conn.execute(text("SELECT name FROM department")).scalar() == "Office"
    engine.dispose()


def test_an_upgraded_log_has_the_real_time_on_every_row_and_stays_append_only(empty_db_url):
    """0007_trust adds ``audit_log.recorded_at`` (old rows: their ``at``) and must put back the
    triggers it drops to fill the column: the log still refuses UPDATE and DELETE."""
    import pytest
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(empty_db_url)
    migrate.upgrade(engine, "0006_contracts")
    with engine.begin() as conn:
        for i, at in enumerate(("2026-01-01 08:00:00", "2026-02-03 04:05:06.789000"), 1):
            conn.execute(text("INSERT INTO audit_log (id, at, actor_login, action, record_type, record_id) "
                              "VALUES (:id, :at, 'admin', 'user.add', 'user', :id)"), {"id": i, "at": at})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id, at, recorded_at FROM audit_log ORDER BY id")).all()
    assert len(found) == 2 and all(row.recorded_at is not None and row.recorded_at == row.at for row in found)
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log",
                      "UPDATE audit_log SET recorded_at = at"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 2
        columns = {c["name"] for c in inspect(conn).get_columns("payment")}
    assert {"reverses_id", "reason"} <= columns
    engine.dispose()
