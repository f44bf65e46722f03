"""Read-only sessions (``--read-only``, ``CRM_READ_ONLY=1``, ``Runtime.read_only``) and read-only files.

A read-only session refuses every write with one line (exit 4) and writes nothing, whoever
attempts it: a command, a batch line, or a service called through ``Runtime.transaction``
(the TUI's way) — including writes that go around the ORM, which the database itself refuses.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crmcli.errors import ReadOnlySession
from tests.commands._org import snapshot
from tests.conftest import ADMIN, backend, run_crm

READ_ONLY = "this session is read-only"


def test_read_only_option_refuses_a_write_and_writes_nothing(crm, session):
    before = snapshot(session)
    result = crm("--read-only", "user", "add", "bob", "--name", "Bob")
    assert result.code == 4, result
    assert result.err.count("\n") == 1 and READ_ONLY in result.err
    assert snapshot(session) == before


def test_read_only_environment_variable_refuses_writes_but_reads_work(crm, session, monkeypatch):
    monkeypatch.setenv("CRM_READ_ONLY", "1")
    before = snapshot(session)
    listed = crm("user", "list", "--json")
    assert listed.code == 0, listed
    assert [u["login"] for u in listed.json()] == [ADMIN]
    for args in (("dept", "add", "Sales"), ("user", "edit", "me", "--timezone", "Asia/Shanghai")):
        result = crm(*args)
        assert result.code == 4, (args, result)
        assert READ_ONLY in result.err
    assert snapshot(session) == before


def test_a_change_that_would_only_be_flushed_at_commit_is_refused_too(crm, session):
    """lead invalidate changes a loaded row; the read-only unit flushes instead of committing."""
    assert crm("lead", "add", "Zhang San", "--mobile", "13800138000").code == 0
    before = snapshot(session)
    result = crm("--read-only", "lead", "invalidate", "1", "--reason", "x")
    assert result.code == 4, result
    assert READ_ONLY in result.err
    assert snapshot(session) == before


def test_batch_lines_inherit_read_only(crm, session):
    before = snapshot(session)
    result = crm("--read-only", "batch", "-", stdin="user list\ndept add Sales\n")
    assert result.code == 4, result
    assert READ_ONLY in result.err and "line 1: ok" in result.err
    assert snapshot(session) == before


def _runtime(db_url):
    from crmcli.runtime import Runtime

    return Runtime(db=db_url, user=ADMIN, read_only=True)


def test_a_service_called_through_the_runtime_is_refused(db_url, session):
    """The TUI's command palette calls services through Runtime.transaction: the same refusal."""
    from crmcli.services import departments

    before = snapshot(session)
    with pytest.raises(ReadOnlySession):
        with _runtime(db_url).transaction() as (s, me):
            departments.add(s, me, "Sales")
    assert snapshot(session) == before


@pytest.mark.parametrize("statement", [
    "INSERT INTO department (name) VALUES ('Sneaky')",
    "UPDATE user_account SET name = 'Changed'",
    "DELETE FROM user_role",
])
def test_the_database_refuses_writes_that_go_around_the_orm(db_url, session, statement):
    before = snapshot(session)
    with pytest.raises(ReadOnlySession):
        with _runtime(db_url).transaction() as (s, _me):
            s.connection().exec_driver_sql(statement)
    assert snapshot(session) == before


def test_read_only_does_not_linger_on_pooled_connections(db_url, crm):
    """The next unit on the same engine (crm batch, the TUI) may write again when not read-only."""
    from crmcli.runtime import Runtime
    from crmcli.services import departments

    with pytest.raises(ReadOnlySession):
        with _runtime(db_url).transaction() as (s, me):
            departments.add(s, me, "Sales")
    with Runtime(db=db_url, user=ADMIN).transaction() as (s, me):
        departments.add(s, me, "Sales")
    assert "Sales" in crm("dept", "list").out


def test_read_only_never_creates_the_default_database(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_READ_ONLY", "1")
    result = run_crm(["user", "list"])
    assert result.code != 0
    assert "no crm database" in result.err
    assert not any(tmp_path.rglob("crm.sqlite"))


def test_read_only_session_refuses_the_database_level_write_on_postgresql_too(db_url):
    """PostgreSQL: SET TRANSACTION READ ONLY; SQLite: PRAGMA query_only."""
    with _runtime(db_url).transaction(write=False) as (s, _me):
        if backend() == "postgresql":
            assert s.execute(text("SHOW transaction_read_only")).scalar() == "on"
        else:
            assert s.execute(text("PRAGMA query_only")).scalar() == 1
