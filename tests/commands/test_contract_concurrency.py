"""Money and numbers under concurrency and faults, as real processes (SQLite and PostgreSQL):

* two payments of the last amount owed at once: exactly one succeeds;
* two reversals of one payment at once: exactly one succeeds, the other is a conflict (exit 5);
* contracts added at once get unique, gap-free numbers;
* a process killed between the payment's insert and the commit leaves the contract exactly as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crmcli.store.models.contracts import Contract, Payment
from tests.commands._org import snapshot
from tests.commands.test_contract import active, customer, ok, row

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, CRM_DATABASE_URL=db_url, CRM_USER="admin", CRM_NOW=NOW, CRM_LANG="en")
    env.update(extra)
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crmcli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def test_two_payments_of_the_last_amount_owed_exactly_one_succeeds(crm, session, db_url):
    customer(crm)
    made = active(crm, amount="1000")
    ok(crm("contract", "pay", made["id"], "--amount", "600"))
    env = _env(db_url, CRM_TEST_PAUSE_AT="payment:0.7")
    procs = [_start(["contract", "pay", str(made["id"]), "--amount", "400"], env) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _err in results)
    assert codes == [0, 6], results
    refused = next(err for code, err in results if code == 6)
    assert "is more than what contract HT-2026-0001 is still owed (0.00 CNY)" in refused
    found = row(session, made["id"])
    assert found.paid == Decimal("1000.00")
    with session() as s:
        assert s.execute(select(func.sum(Payment.amount))).scalar_one() == Decimal("1000.00")
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 2


def test_two_reversals_of_one_payment_at_once_exactly_one_succeeds(crm, session, db_url):
    customer(crm)
    made = active(crm, amount="1000")
    ok(crm("contract", "pay", made["id"], "--amount", "600"))
    env = _env(db_url, CRM_TEST_PAUSE_AT="reverse:0.7")
    procs = [_start(["contract", "pay", "--reverse", "1", "--reason", "twice"], env) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert sorted(code for code, _err in results) == [0, 5], results
    assert "payment 1 is already reversed" in next(err for code, err in results if code == 5)
    assert row(session, made["id"]).paid == Decimal("0.00")
    with session() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 2


def test_contracts_added_at_once_get_unique_gap_free_numbers(crm, session, db_url):
    customer(crm)
    env = _env(db_url, CRM_TEST_PAUSE_AT="number:0.3")
    procs = [_start(["contract", "add", "--customer", "Acme", "--amount", "10", "--format", "ids"], env)
             for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _err in results] == [0, 0, 0, 0], results
    with session() as s:
        numbers = sorted(s.execute(select(Contract.number)).scalars())
    assert numbers == ["HT-2026-0001", "HT-2026-0002", "HT-2026-0003", "HT-2026-0004"]


def test_a_refused_contract_leaves_no_gap(crm, session):
    customer(crm)
    assert crm("contract", "add", "--customer", "Acme", "--amount", "0").code == 6
    assert ok(crm("contract", "add", "--customer", "Acme", "--amount", "1", "--json")).json()["number"] == "HT-2026-0001"


def test_a_process_killed_in_the_middle_of_pay_leaves_the_contract_as_it_was(crm, session, db_url):
    customer(crm)
    made = active(crm, amount="1000")
    ok(crm("contract", "plan", "add", made["id"], "--amount", "1000", "--due", "2026-12-01"))
    before = snapshot(session)
    killed = subprocess.run([sys.executable, "-m", "crmcli", "contract", "pay", str(made["id"]), "--amount", "1000"],
                            capture_output=True, text=True, env=_env(db_url, CRM_TEST_CRASH_AT="payment"), timeout=120)
    assert killed.returncode == 137, killed
    assert snapshot(session) == before  # exactly as it was: no payment, nothing paid, no log row
    done = subprocess.run([sys.executable, "-m", "crmcli", "contract", "pay", str(made["id"]), "--amount", "1000"],
                          capture_output=True, text=True, env=_env(db_url), timeout=120)
    assert done.returncode == 0, done
    found = row(session, made["id"])
    assert (found.paid, found.status) == (Decimal("1000.00"), "active")  # exactly paid
