"""Every bad input: one line on stderr (crm: error: …), the documented exit code, and nothing written.

Exit codes (crmcli/errors.py): 1 error, 2 usage, 3 not found, 4 permission, 5 conflict, 6 validation.
"""

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crmcli.errors import ExitCode
from crmcli.store import schema
from tests.commands._org import snapshot
from tests.conftest import backend, run_crm


def assert_refused(result, code: int, err: str, *, exact: bool = True) -> None:
    """The exit code, one stderr line starting 'crm: error: ', and nothing on stdout."""
    assert result.code == code, result
    assert result.out == "", result
    assert result.err.startswith("crm: error: "), result
    assert result.err.endswith("\n") and result.err.count("\n") == 1, result
    if exact:
        assert result.err == err, result
    else:
        assert result.err.startswith(err), result


@pytest.fixture
def unchanged(session):
    """Snapshot the database now; ``unchanged()`` asserts that it still holds exactly that."""
    before = snapshot(session)

    def check() -> None:
        assert snapshot(session) == before

    return check


def test_the_exit_code_table():
    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0, "ERROR": 1, "USAGE": 2, "NOT_FOUND": 3, "PERMISSION": 4, "CONFLICT": 5, "VALIDATION": 6,
        "INTERRUPTED": 130}


# --- users and departments -----------------------------------------------------------------


def test_unknown_acting_user(crm, unchanged):
    result = crm("user", "add", "bob", user="ghost")
    assert_refused(result, 4, "crm: error: unknown user 'ghost' (hint: act as a known user with --user LOGIN or "
                              "CRM_USER; crm user list shows them)\n")
    unchanged()


def test_unknown_acting_user_from_the_environment(crm, unchanged, monkeypatch):
    monkeypatch.setenv("CRM_USER", "ghost")
    assert_refused(crm("dept", "add", "Sales", user=None), 4, "crm: error: unknown user 'ghost'", exact=False)
    unchanged()


def test_disabled_acting_user(crm, session):
    assert crm("user", "add", "bob").code == 0
    assert crm("user", "disable", "bob").code == 0
    before = snapshot(session)
    assert_refused(crm("dept", "add", "Sales", user="bob"), 4, "crm: error: user 'bob' is disabled\n")
    assert snapshot(session) == before


@pytest.mark.parametrize("args, err", [
    (("user", "show", "ghost"), "crm: error: no user named 'ghost'\n"),
    (("user", "edit", "ghost", "--name", "X"), "crm: error: no user named 'ghost'\n"),
    (("user", "disable", "ghost"), "crm: error: no user named 'ghost'\n"),
    (("user", "enable", "#42"), "crm: error: no user with id 42\n"),
    (("user", "add", "bob", "--manager", "ghost"), "crm: error: no user named 'ghost'\n"),
    (("why", "ghost", "user:admin"), "crm: error: no user named 'ghost'\n"),
])
def test_unknown_user_as_an_argument(crm, unchanged, args, err):
    assert_refused(crm(*args), 3, err)
    unchanged()


@pytest.mark.parametrize("args", [
    ("user", "add", "bob", "--dept", "Nowhere"),
    ("dept", "add", "East", "--parent", "Nowhere"),
    ("dept", "rename", "Nowhere", "Somewhere"),
    ("dept", "move", "Nowhere", "--to", "Office"),
    ("dept", "move", "Office", "--to", "Nowhere"),
    ("user", "list", "--dept", "Nowhere"),
])
def test_unknown_department(crm, unchanged, args):
    assert_refused(crm(*args), 3, "crm: error: no department named 'Nowhere'\n")
    unchanged()


def test_duplicate_login(crm, session):
    assert crm("user", "add", "bob", "--name", "Bob").code == 0
    before = snapshot(session)
    assert_refused(crm("user", "add", "bob", "--name", "Another Bob"), 5,
                   "crm: error: the login 'bob' is taken (user 2)\n")
    assert snapshot(session) == before


def test_a_cycle_in_the_department_tree(crm, session):
    assert crm("dept", "add", "Sales").code == 0
    assert crm("dept", "add", "East", "--parent", "Sales").code == 0
    before = snapshot(session)
    assert_refused(crm("dept", "move", "Sales", "--to", "East"), 6,
                   "crm: error: moving 'Sales' under 'East' would make a cycle in the department tree\n")
    assert snapshot(session) == before


# --- roles ----------------------------------------------------------------------------------


def test_a_scope_naming_a_missing_department(crm, unchanged):
    assert_refused(crm("role", "scope", "marketing", "custom", "--dept", "Office", "--dept", "Nowhere"), 3,
                   "crm: error: no department named 'Nowhere'\n")
    unchanged()


@pytest.mark.parametrize("args", [
    ("role", "grant", "super_admin", "lead.view"),
    ("role", "revoke", "super_admin", "lead.view"),
    ("role", "scope", "super_admin", "self"),
])
def test_editing_the_super_administrator_role(crm, unchanged, args):
    assert_refused(crm(*args), 6, "crm: error: the super administrator role cannot be changed\n")
    unchanged()


# --- the database ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "postgresql://",
    "postgresql+psycopg://db.example.com",  # no database name
    "postgresql+asyncpg://u@h/db",
    "mysql://u@h/db",
    "sqlite+aiosqlite:///x.sqlite",
    "sqlite:",
    "://nothing",
])
def test_a_malformed_db_url(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_crm(["--db", url, "--user", "admin", "user", "add", "bob"])
    assert_refused(result, 2, f"crm: error: not a database URL crm can use: '{url}' (hint: give a SQLite path, "
                              "sqlite:///PATH, or postgresql+psycopg://USER@HOST:PORT/DB)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no file appeared


def test_an_unreachable_postgresql_server():
    pytest.importorskip("psycopg")
    result = run_crm(["--db", "postgresql+psycopg://crm:secret@127.0.0.1:1/crm", "--user", "admin", "user", "list"])
    assert_refused(result, 1, "crm: error: cannot connect to PostgreSQL at 127.0.0.1:1/crm: ", exact=False)
    assert result.err.endswith("(hint: is the server running, and does CRM_DATABASE_URL name it correctly?)\n")
    assert "secret" not in result.err


def test_a_file_that_is_not_a_sqlite_database(tmp_path):
    junk = tmp_path / "data" / "crm.sqlite"
    junk.parent.mkdir()
    content = os.urandom(8192)
    junk.write_bytes(content)
    result = run_crm(["--db", str(junk), "--user", "admin", "user", "add", "bob"])
    assert_refused(result, 1, f"crm: error: {junk} is not a SQLite database (hint: check --db or "
                              "CRM_DATABASE_URL)\n")
    assert junk.read_bytes() == content
    assert [p.name for p in junk.parent.iterdir()] == ["crm.sqlite"]  # no -wal or -shm beside it


def test_a_sqlite_path_with_no_database_creates_nothing(tmp_path):
    where = tmp_path / "data"
    where.mkdir()
    result = run_crm(["--db", str(where / "typo.sqlite"), "--user", "admin", "user", "list"])
    assert_refused(result, 1, f"crm: error: no crm database at sqlite:///{where / 'typo.sqlite'} "
                              "(hint: run crm init to create it)\n")
    assert list(where.iterdir()) == []


@pytest.fixture
def newer_database(db_url):
    def set_revision(revision: str) -> None:
        engine = create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
        engine.dispose()

    set_revision("0099_from_a_newer_crm")
    yield
    set_revision(schema.HEAD)  # PostgreSQL reuses the schema for the next test


@pytest.mark.parametrize("args", [("user", "add", "bob"), ("user", "list"), ("dept", "add", "Sales"),
                                  ("db", "backup", "somewhere.sqlite"), ("batch", "-")])
def test_a_database_newer_than_the_program(crm, session, newer_database, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = snapshot(session)
    result = crm(*args, stdin="user add bob\n")
    if args[0] == "batch":  # the line fails, and batch reports it
        assert result.code == 1
        assert result.err.startswith("crm: error: the database was written by a newer crm")
    else:
        assert_refused(result, 1, "crm: error: the database was written by a newer crm (schema 0099_from_a_newer_crm); "
                                  f"this crm knows up to {schema.HEAD} (hint: upgrade crmcli: pip install -U crmcli)\n")
    assert snapshot(session) == before
    assert not (tmp_path / "somewhere.sqlite").exists()


# --- dates and the clock ----------------------------------------------------------------------


@pytest.mark.parametrize("option, value", [("--since", "notadate"), ("--until", "notadate"),
                                           ("--since", "2026-13-45"), ("--since", "+3x")])
def test_a_malformed_date(crm, unchanged, option, value):
    assert_refused(crm("audit", "list", option, value), 6,
                   f"crm: error: cannot read the date '{value}' (hint: try 2026-12-01, 2026-12-01 14:30, today, "
                   "tomorrow, friday, +3d, -2w, eow or eom)\n")
    unchanged()


def test_a_malformed_crm_now(crm, unchanged, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "yesterday-ish")
    assert_refused(crm("user", "add", "bob"), 2, "crm: error: CRM_NOW is not an ISO 8601 time: yesterday-ish "
                                                 "(hint: for example CRM_NOW=2026-11-22T09:00:00+08:00)\n")
    unchanged()


# --- the command line itself ------------------------------------------------------------------


@pytest.mark.parametrize("args, err", [
    (("user", "add"), "crm: error: Missing argument 'login'. (hint: see crm user add --help)\n"),
    (("user", "add", "bob", "--colour", "red"), "crm: error: No such option: --colour (hint: see crm user add --help)\n"),
    (("user", "fly"), "crm: error: No such command 'fly'. (hint: see crm user --help)\n"),
    (("spaceship", "list"), "crm: error: No such command 'spaceship'. (hint: see crm --help)\n"),
    (("user", "list", "--format", "xml"), "crm: error: unknown output format 'xml' (hint: one of: table, plain, tsv, "
                                          "csv, json, jsonl, ids)\n"),
    (("audit", "list", "--limit", "0"), "crm: error: Invalid value for '--limit': Input should be greater than or equal to 1 "
                                        "(hint: see crm audit list --help)\n"),
])
def test_usage_errors(crm, unchanged, args, err):
    assert_refused(crm(*args), 2, err)
    unchanged()


# --- crm batch -----------------------------------------------------------------------------------


def test_a_batch_line_that_cannot_be_read(crm, unchanged):
    result = crm("batch", "-", stdin='user add "bob\n')
    assert result.code == 2
    assert result.err.splitlines()[0] == "crm: line 1: cannot read the line: No closing quotation"
    unchanged()


def test_a_batch_line_that_errors(crm, session):
    before = snapshot(session)
    result = crm("batch", "-", stdin="user add bob --dept Nowhere\nuser add carl\n")
    assert result.code == 3
    assert result.err.splitlines()[:2] == ["crm: error: no department named 'Nowhere'", "line 1: failed (exit 3)"]
    assert snapshot(session) == before  # and line 2 never ran
