"""crm db info/upgrade/backup/restore. Backup and restore copy SQLite files; PostgreSQL is told to use pg_dump."""

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crmcli.store import schema
from tests.commands._org import snapshot, user_row
from tests.conftest import backend, run_crm

sqlite_only = pytest.mark.skipif(backend() != "sqlite", reason="backup and restore copy SQLite files")
postgres_only = pytest.mark.skipif(backend() != "postgresql", reason="the PostgreSQL refusal")


def _db_path(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


@pytest.fixture
def future_schema(db_url):
    """The test database as a newer crm would leave it (put back afterwards: PostgreSQL reuses the schema)."""
    def set_revision(revision: str) -> None:
        engine = create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
        engine.dispose()

    set_revision("9999_from_the_future")
    yield
    set_revision(schema.HEAD)


# --- info and upgrade -------------------------------------------------------------------


def test_info_reports_backend_schema_and_row_counts(crm, db_url):
    result = crm("db", "info", "--json")
    assert result.code == 0, result
    info = result.json()
    assert (info["backend"], info["schema"], info["program_schema"]) == (backend(), schema.HEAD, schema.HEAD)
    assert {k: info["counts"][k] for k in ("department", "user_account", "role", "user_role", "audit_log")} == {
        "department": 1, "user_account": 1, "role": 6, "user_role": 1, "audit_log": 1}
    if backend() == "sqlite":
        assert info["location"] == db_url
        assert info["size_bytes"] == _db_path(db_url).stat().st_size
    else:
        assert info["size_bytes"] is None
    plain = crm("db", "info", "--format", "plain")
    assert plain.code == 0
    assert f"schema version     {schema.HEAD}\n" in plain.out
    assert "\nRows per table\n" in plain.out
    assert re.search(r"\nuser_account +1\n", plain.out)  # aligned to the longest table name


@sqlite_only
def test_info_on_a_missing_file_says_so_without_creating_it(tmp_path):
    where = tmp_path / "data"
    where.mkdir()
    missing = where / "nothing-here.sqlite"
    result = run_crm(["--db", str(missing), "db", "info", "--json"])
    assert result.code == 0, result
    assert (result.json()["schema"], result.json()["counts"]) == (None, {})
    assert list(where.iterdir()) == []


def test_upgrade_at_the_current_schema_does_nothing(crm, session):
    before = snapshot(session)
    result = crm("db", "upgrade")
    assert (result.code, result.err) == (0, f"The database is already at schema {schema.HEAD}; nothing to do.\n")
    assert snapshot(session) == before


def test_upgrade_refuses_a_database_written_by_a_newer_crm(crm, session, future_schema):
    before = snapshot(session)
    result = crm("db", "upgrade")
    assert result.code == 1
    assert result.err == ("crm: error: the database was written by a newer crm (schema 9999_from_the_future); "
                          f"this crm knows up to {schema.HEAD} (hint: upgrade crmcli: pip install -U crmcli)\n")
    assert snapshot(session) == before


@sqlite_only
def test_upgrade_of_a_missing_file_creates_nothing(tmp_path):
    where = tmp_path / "data"
    where.mkdir()
    result = run_crm(["--db", str(where / "typo.sqlite"), "db", "upgrade"])
    assert result.code == 1
    assert result.err.startswith("crm: error: no crm database at sqlite:///")
    assert list(where.iterdir()) == []


# --- backup and restore (SQLite) ----------------------------------------------------------


@sqlite_only
def test_backup_copies_the_database(crm, tmp_path):
    assert crm("user", "add", "bob").code == 0
    dest = tmp_path / "backups" / "crm-backup.sqlite"
    result = crm("db", "backup", str(dest))
    assert (result.code, result.err) == (0, f"Backed up to {dest}.\n")
    copy = run_crm(["--db", str(dest), "--user", "admin", "user", "list", "--format", "ids"])
    assert copy.code == 0, copy
    assert copy.out == "1\n2\n"
    assert not dest.with_name(dest.name + ".partial").exists()


@sqlite_only
def test_backup_refuses_to_overwrite_unless_forced(crm, tmp_path):
    dest = tmp_path / "b.sqlite"
    dest.write_text("keep me")
    result = crm("db", "backup", str(dest))
    assert (result.code, result.err) == (5, f"crm: error: {dest} already exists (hint: add --force to overwrite it)\n")
    assert dest.read_text() == "keep me"
    forced = crm("db", "backup", str(dest), "--force")
    assert forced.code == 0, forced
    assert dest.read_bytes().startswith(b"SQLite format 3\x00")


@sqlite_only
def test_backup_onto_the_database_itself_is_refused(crm, db_url, session):
    before = snapshot(session)
    result = crm("db", "backup", str(_db_path(db_url)), "--force")
    assert (result.code, result.err) == (6, "crm: error: the backup file must not be the database itself\n")
    assert snapshot(session) == before


@sqlite_only
def test_backup_and_restore_need_db_admin(crm, db_url, session, tmp_path):
    assert crm("user", "add", "rep").code == 0
    assert crm("db", "backup", str(tmp_path / "ok.sqlite")).code == 0
    before = snapshot(session)
    result = crm("db", "backup", str(tmp_path / "b.sqlite"), user="rep")
    assert result.code == 4
    assert result.err.startswith("crm: error: rep may not db.admin (hint: ")
    assert not (tmp_path / "b.sqlite").exists()
    result = crm("db", "restore", str(tmp_path / "ok.sqlite"), "--yes", user="rep")
    assert result.code == 4
    assert snapshot(session) == before


@sqlite_only
def test_restore_brings_back_the_backup_and_keeps_the_replaced_database(crm, db_url, session, tmp_path, monkeypatch):
    backup = tmp_path / "before-bob.sqlite"
    assert crm("db", "backup", str(backup)).code == 0
    assert crm("user", "add", "bob").code == 0
    monkeypatch.setenv("CRM_NOW", "2026-11-22T09:30:00Z")
    result = crm("db", "restore", str(backup), "--yes")
    assert result.code == 0, result
    db = _db_path(db_url)
    kept = db.with_name(f"{db.name}.before-restore-20261122T093000")
    assert result.err == (f"The previous database is kept at {kept}.\n"
                          f"Restored {db} from {backup}.\n")
    assert user_row(session, "bob") is None
    assert crm("user", "list", "--format", "ids").out == "1\n"
    # the replaced database is a working copy with bob in it
    assert run_crm(["--db", str(kept), "--user", "admin", "user", "show", "bob", "--format", "ids"]).out == "2\n"


@sqlite_only
def test_restore_without_a_terminal_needs_yes(crm, session, tmp_path):
    backup = tmp_path / "b.sqlite"
    assert crm("db", "backup", str(backup)).code == 0
    assert crm("user", "add", "bob").code == 0
    before = snapshot(session)
    result = crm("db", "restore", str(backup))
    assert result.code == 1
    assert result.err.endswith("refusing without a terminal (hint: add --yes to confirm)\n")
    assert snapshot(session) == before


@sqlite_only
def test_restore_refuses_files_that_are_not_crm_backups(crm, session, tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00garbage" * 100)
    plain_sqlite = tmp_path / "other.sqlite"
    sqlite3.connect(plain_sqlite).execute("CREATE TABLE t (x)").connection.close()
    newer = tmp_path / "newer.sqlite"
    assert crm("db", "backup", str(newer)).code == 0
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    before = snapshot(session)
    cases = [
        (junk, 6, f"crm: error: {junk} is not a crm database backup\n"),
        (plain_sqlite, 6, f"crm: error: {plain_sqlite} is not a crm database backup\n"),
        (tmp_path / "missing.sqlite", 1, f"crm: error: no backup file at {tmp_path / 'missing.sqlite'}\n"),
        (newer, 1, "crm: error: the backup was written by a newer crm (schema 9999_future)\n"),
    ]
    for path, code, err in cases:
        result = crm("db", "restore", str(path), "--yes")
        assert (result.code, result.err) == (code, err), path
    assert snapshot(session) == before


# --- PostgreSQL --------------------------------------------------------------------------


@postgres_only
def test_backup_on_postgresql_points_to_pg_dump(crm, session, tmp_path):
    before = snapshot(session)
    result = crm("db", "backup", str(tmp_path / "b.sqlite"))
    assert result.code == 1
    assert result.err == ("crm: error: crm db backup copies SQLite files; for PostgreSQL use pg_dump "
                          "(hint: pg_dump --format=custom --file crm.dump DBNAME, and pg_restore --clean to restore)\n")
    assert list(tmp_path.glob("b.sqlite*")) == []
    assert snapshot(session) == before


@postgres_only
@pytest.mark.parametrize("yes", [["--yes"], []])
def test_restore_on_postgresql_points_to_pg_restore(crm, session, tmp_path, yes):
    backup = tmp_path / "b.sqlite"
    backup.write_bytes(b"whatever")
    before = snapshot(session)
    result = crm("db", "restore", str(backup), *yes)
    assert result.code == 1
    assert result.err == ("crm: error: crm db restore restores SQLite files; for PostgreSQL use pg_restore "
                          "(hint: pg_restore --clean --dbname DBNAME crm.dump)\n")
    assert snapshot(session) == before
