"""services/locking.py: rows locked in ascending id order, a write's record locked before it is checked, and a
deadlock while locking retried a few times and then a clean conflict (exit 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crmcli.errors import Collision, ExitCode
from crmcli.services import locking
from crmcli.store.engine import engine_for, resolve
from crmcli.store.models import Customer
from tests.commands._customer_org import ok


@pytest.fixture
def customers(crm) -> list[int]:
    return [ok(crm("customer", "add", f"Row {i}", "--json")).json()["id"] for i in range(5)]


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *a: seen.append(sql))
    return seen


def test_lock_rows_locks_in_ascending_id_order_whatever_the_order_given(db_url, customers):
    engine = engine_for(resolve(db_url))
    seen = _statements(engine)
    with Session(bind=engine.execution_options(crm_write=True)) as s:
        found = locking.lock_rows(s, Customer, [customers[3], customers[0], customers[3], customers[4]])
        assert list(found) == sorted({customers[0], customers[3], customers[4]})
        s.rollback()
    query = next(sql for sql in seen if "FROM customer" in sql)
    assert "ORDER BY customer.id" in query
    if engine.dialect.name == "postgresql":
        assert "FOR NO KEY UPDATE" in query
    else:
        assert "FOR " not in query  # SQLite: BEGIN IMMEDIATE holds the whole file already


def test_lock_batch_keeps_the_named_order_and_checks_each_record_twice(db_url, customers):
    engine = engine_for(resolve(db_url))
    fetched: list[object] = []
    with Session(bind=engine.execution_options(crm_write=True)) as s:
        def fetch(ref):
            fetched.append(ref)
            return s.get(Customer, int(ref))

        named = [str(customers[2]), str(customers[0]), str(customers[2])]
        result = [c.id for c in locking.lock_batch(s, named, fetch)]
        s.rollback()
    assert result == [customers[2], customers[0]]
    assert fetched == named + [customers[2], customers[0]]  # resolved, then re-checked under the lock


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_deadlock_while_locking_is_retried_then_a_clean_conflict(db_url, customers, monkeypatch):
    monkeypatch.setattr(locking, "takes_row_locks", lambda session: True)
    monkeypatch.setattr(locking.time, "sleep", lambda seconds: None)
    engine = engine_for(resolve(db_url))
    with Session(bind=engine.execution_options(crm_write=True)) as s:
        calls = {"n": 0}
        real = s.execute

        def failing(statement, *args, **kwargs):
            if getattr(statement, "_for_update_arg", None) is not None:
                calls["n"] += 1
                if calls["n"] < 3:  # twice a deadlock, then it goes through
                    raise OperationalError("SELECT …", {}, _Deadlock())
            return real(statement, *args, **kwargs)

        monkeypatch.setattr(s, "execute", failing)
        assert list(locking.lock_rows(s, Customer, customers[:2])) == customers[:2]
        assert calls["n"] == 3

        calls["n"] = -100  # from now on always a deadlock
        with pytest.raises(Collision) as refused:
            locking.lock_rows(s, Customer, customers[2:4])
        assert refused.value.exit_code == ExitCode.CONFLICT
        assert "nothing was written" in refused.value.message and "\n" not in refused.value.message
        s.rollback()


def test_other_errors_are_not_retried(db_url, customers, monkeypatch):
    monkeypatch.setattr(locking, "takes_row_locks", lambda session: True)
    engine = engine_for(resolve(db_url))
    with Session(bind=engine.execution_options(crm_write=True)) as s:
        calls = {"n": 0}

        def failing(statement, *args, **kwargs):
            calls["n"] += 1
            raise OperationalError("SELECT …", {}, Exception("disk I/O error"))

        monkeypatch.setattr(s, "execute", failing)
        with pytest.raises(OperationalError):
            locking.lock_rows(s, Customer, customers[:2])
        assert calls["n"] == 1
