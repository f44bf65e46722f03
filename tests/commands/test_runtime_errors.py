"""Database errors as one line: busy (exit 5), collided (exit 5), read-only files (exit 4), any
other driver error without its SQL or parameters; empty database URLs refused (exit 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.commands._org import snapshot
from tests.conftest import backend, run_crm

sqlite_only = pytest.mark.skipif(backend() != "sqlite", reason="SQLite's file locks and file permissions")


def _path(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


# --- a locked SQLite database -------------------------------------------------------------


@sqlite_only
def test_a_write_that_waits_too_long_for_the_lock_is_busy_exit_5(crm, db_url, session, monkeypatch):
    monkeypatch.setenv("CRM_BUSY_TIMEOUT", "0.2")
    before = snapshot(session)
    holder = sqlite3.connect(_path(db_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = crm("dept", "add", "Sales")
    finally:
        holder.rollback()
        holder.close()
    assert result.code == 5, result
    assert result.err.count("\n") == 1
    assert "the database is busy (another crm is writing); try again" in result.err
    assert snapshot(session) == before
    assert crm("dept", "add", "Sales").code == 0  # and once the lock is free, it works


@pytest.mark.parametrize("value", ["soon", "-1", "1e9"])
def test_a_bad_busy_timeout_is_a_usage_error(crm, monkeypatch, value):
    monkeypatch.setenv("CRM_BUSY_TIMEOUT", value)
    result = crm("dept", "add", "Sales")
    assert result.code == 2, result
    assert "CRM_BUSY_TIMEOUT" in result.err and result.err.count("\n") == 1


# --- driver errors without SQL ------------------------------------------------------------


def _make_dept_add_fail(monkeypatch):
    """dept add runs a statement the database rejects, with a secret among its parameters."""
    from crmcli.services import departments

    def failing(session, actor, name, parent=None):
        session.execute(text("SELECT * FROM no_such_table WHERE name = :secret"), {"secret": "TOP-SECRET-VALUE"})

    monkeypatch.setattr(departments, "add", failing)


def test_a_database_error_is_one_line_without_sql_or_parameters(crm, monkeypatch):
    _make_dept_add_fail(monkeypatch)
    result = crm("dept", "add", "Sales")
    assert result.code == 1, result
    assert result.err.count("\n") == 1, result
    assert result.err.startswith("crm: error: database error: ")
    assert "no_such_table" in result.err  # the driver's own first line
    assert "TOP-SECRET-VALUE" not in result.err and "[SQL" not in result.err and "SELECT" not in result.err


def test_crm_debug_shows_the_statement(crm, monkeypatch):
    _make_dept_add_fail(monkeypatch)
    monkeypatch.setenv("CRM_DEBUG", "1")
    result = crm("dept", "add", "Sales")
    assert result.code == 1
    assert "SELECT * FROM no_such_table" in result.err


def test_the_catch_all_keeps_a_database_error_to_one_line(crm, monkeypatch):
    """A driver error raised outside any transaction (a bug's path) is still one line without SQL."""
    from sqlalchemy import create_engine

    from crmcli.services import departments

    def failing(session, actor, name, parent=None):
        raise RuntimeError("wrapped") from _driver_error()

    def _driver_error():
        engine = create_engine("sqlite://")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT nope FROM nowhere WHERE x = :secret"), {"secret": "TOP-SECRET-VALUE"})
        except Exception as exc:  # noqa: BLE001
            return exc

    monkeypatch.setattr(departments, "add", failing)
    result = crm("dept", "add", "Sales")
    assert result.err.count("\n") == 1, result
    assert "TOP-SECRET-VALUE" not in result.err and "[SQL" not in result.err


@pytest.mark.parametrize("sqlstate_class", ["DeadlockDetected", "SerializationFailure", "LockNotAvailable"])
def test_postgresql_collisions_are_conflicts_exit_5(sqlstate_class):
    psycopg_errors = pytest.importorskip("psycopg.errors")
    from sqlalchemy.exc import OperationalError

    from crmcli.store.engine import Target, describe_db_error

    orig = getattr(psycopg_errors, sqlstate_class)("deadlock detected\nDETAIL: Process 1 waits for ShareLock")
    error = describe_db_error(Target("postgresql+psycopg://u@h/db", False),
                              OperationalError("UPDATE customer SET owner_id = %(o)s", {"o": 7}, orig))
    assert int(error.exit_code) == 5
    assert error.message == "the change collided with another crm; try again"


# --- empty database URLs ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_crm_database_url_is_refused_and_nothing_is_created(monkeypatch, tmp_path, value):
    monkeypatch.setenv("CRM_DATABASE_URL", value)
    result = run_crm(["user", "list"])
    assert result.code == 2, result
    assert "CRM_DATABASE_URL is set but empty" in result.err
    assert not list(tmp_path.rglob("*.sqlite"))


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_db_option_is_refused(tmp_path, value):
    result = run_crm(["--db", value, "user", "list"])
    assert result.code == 2, result
    assert "--db is empty" in result.err
    assert not list(tmp_path.rglob("*.sqlite"))


# --- read-only database files -------------------------------------------------------------


def _as_if_not_writable(monkeypatch, path: Path):
    """Root may write any file, so the test takes the write permission away where crm asks for it."""
    import os

    real = os.access

    def access(p, mode, *args, **kwargs):
        if mode & os.W_OK and Path(p) in (path, path.parent):
            return False
        return real(p, mode, *args, **kwargs)

    monkeypatch.setattr("crmcli.store.engine.os.access", access)


@sqlite_only
def test_a_read_only_file_can_be_read_and_refuses_writes(crm, db_url, session, monkeypatch):
    path = _path(db_url)
    assert crm("dept", "add", "Sales").code == 0
    _as_if_not_writable(monkeypatch, path)
    from crmcli.store import engine

    engine.dispose_all()
    before = snapshot(session)
    listed = crm("dept", "list", "--json")
    assert listed.code == 0, listed
    assert "Sales" in listed.out
    result = crm("dept", "add", "Marketing")
    assert result.code == 4, result
    assert result.err.count("\n") == 1 and "is read-only for you" in result.err
    assert snapshot(session) == before


@sqlite_only
def test_a_read_only_directory_without_a_shm_file_opens_immutable(crm, db_url, monkeypatch):
    path = _path(db_url)
    assert crm("dept", "add", "Sales").code == 0
    from crmcli.store import engine

    engine.dispose_all()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    monkeypatch.setattr(engine, "sqlite_access", lambda p: "immutable")
    listed = crm("dept", "list", "--json")
    assert listed.code == 0, listed
    assert "Sales" in listed.out
    assert crm("dept", "add", "Marketing").code == 4


@sqlite_only
def test_a_patient_unit_waits_again_when_busy(db_url, monkeypatch):
    """Cron jobs set Runtime.busy_retries: busy once, they say so and wait again, then work."""
    from crmcli.runtime import Runtime
    from crmcli.services import departments

    monkeypatch.setenv("CRM_BUSY_TIMEOUT", "0.1")
    holder = sqlite3.connect(_path(db_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    said = []

    def message(self, text_):
        said.append(text_)
        holder.rollback()  # the other crm finishes while this one waits again

    monkeypatch.setattr(Runtime, "message", message)
    rt = Runtime(db=db_url, user="admin", busy_retries=2)
    try:
        with rt.transaction() as (s, me):
            departments.add(s, me, "Sales")
    finally:
        holder.close()
    assert len(said) == 1 and "waiting again (1 of 2)" in said[0]
    assert rt.committed


@sqlite_only
def test_a_backup_that_cannot_be_written_is_one_line(crm, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = crm("db", "backup", str(blocker / "crm.sqlite"))
    _one = result.err.count("\n") == 1
    assert result.code == 1 and _one, result
    assert result.err.startswith(f"crm: error: cannot write the backup {blocker / 'crm.sqlite'}: ")


# --- arguments and messages are text ------------------------------------------------------


@pytest.mark.parametrize("argv", [["lead", "import", "a\x00b"], ["lead", "export", "--output", "a\x00b"],
                                  ["cal", "export", "--ics", "x\x00"], ["lead", "list", "--search", "\x00"]])
def test_a_nul_in_an_argument_is_a_usage_error(crm, session, argv):
    """No shell can pass one, but crm batch lines and scripts calling run() can: one line, exit 2."""
    before = snapshot(session)
    result = crm(*argv)
    assert result.code == 2, result
    assert result.err == "crm: error: an argument may not contain a NUL character (\\0)\n"
    assert snapshot(session) == before


def test_errors_and_messages_show_control_characters_instead_of_obeying_them(crm):
    added = crm("lead", "add", "Evil\x1b[2J\x9b31m")
    assert added.code == 0, added
    assert "\x1b" not in added.err and "\x9b" not in added.err
    missing = crm("lead", "show", "x\x1b]0;pwned\x07")
    assert missing.code == 3 and missing.err.count("\n") == 1
    assert "\x1b" not in missing.err and "\x07" not in missing.err and "^[]0;pwned^G" in missing.err


def test_a_reader_that_leaves_early_is_not_an_error(crm, db_url):
    """``crm … | head -1`` while crm is still writing: exit 0 and nothing on stderr (Typer said 1)."""
    import os
    import subprocess
    import sys

    for i in range(30):
        assert crm("lead", "add", f"Lead {i}").code == 0
    env = {**os.environ, "CRM_DATABASE_URL": db_url, "CRM_USER": "admin"}
    script = ("import sys, time\nfrom crmcli import cli, output\n"
              "real = output.Output._write\n"
              "def slow(self, text):\n    time.sleep(0.2)\n    real(self, text)\n    sys.stdout.flush()\n"
              "output.Output._write = slow\n"
              "sys.exit(cli.run(['lead', 'list', '--format', 'plain']) or cli.run(['lead', 'list', '--format', 'plain']))\n")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env)
    process.stdout.readline()
    process.stdout.close()  # the reader goes away while crm still has lines to write
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""
