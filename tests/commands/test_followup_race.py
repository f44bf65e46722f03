"""A write that checks a customer's owner and a recycle that moves the customer: the same answer on both backends.

The former owner's follow-up (or edit, opportunity, task, contact, return) arrives while ``crm pool
recycle`` is moving the customer back to the pool.  SQLite runs write transactions one at a time, so the
write starts after the recycle and finds the customer pooled: refused.  PostgreSQL used to check the
owner on the row as it was *before* the recycle and then wait for the row and write anyway (20 of 1,200
follow-ups in one run).  Now a write locks the row before checking it (``locking.hold``), so it waits,
sees the customer in the pool, and is refused the same way.

Deterministic: the recycle runs here, in the test's process, and holds its transaction open until the
racing ``crm`` process is waiting for the row (PostgreSQL: seen in ``pg_locks``; SQLite: its write waits
for the database whatever the timing), then commits.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crmcli.store.models import AuditLog, Customer, FollowUp
from tests.commands._customer_org import ok
from tests.conftest import ROOT

NOW = "2026-11-20T10:00:00+00:00"
LATER = "2026-12-21T10:00:00+00:00"  # 31 days later: the customer is due

WRITES = {
    "follow-up": (["customer", "follow", "{id}", "--via", "phone", "--note", "discussed the renewal terms"], 3),
    "edit": (["customer", "edit", "{id}", "--industry", "Steel"], 3),
    "opportunity": (["opp", "add", "{id}", "Renewal"], 3),
    "task": (["task", "add", "Call back", "--on", "customer:{id}"], 3),
    "contact": (["contact", "add", "Li Na", "--customer", "{id}"], 3),
    "return": (["pool", "return", "{id}", "--reason", "no budget"], 5),
}


def _start(db_url: str, args: list[str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=db_url, CRM_USER="rep", CRM_NOW=LATER, CRM_LANG="en", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "crmcli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=str(ROOT))


def _wait_until_blocked(session: Session, proc: subprocess.Popen) -> None:
    """PostgreSQL: until another backend waits for a lock (the racing process reached the row), or it ended."""
    if session.get_bind().dialect.name == "sqlite":
        return  # its write waits for the database until the recycle commits, whenever it gets there
    watcher = Session(session.get_bind().engine)
    try:
        for _ in range(600):  # a bound, not a timed assertion: the outcome is checked on the data
            waiting = watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one()
            watcher.rollback()
            if waiting or proc.poll() is not None:
                return
            time.sleep(0.05)
    finally:
        watcher.close()


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_racing_the_recycle_of_its_customer_is_refused(crm, db_url, session, monkeypatch, write):
    from crmcli.services import recycle
    from crmcli.services.access import load_actor
    from crmcli.store.engine import engine_for, resolve

    monkeypatch.setenv("CRM_NOW", NOW)
    ok(crm("user", "add", "rep", "--name", "rep", "--role", "sales_rep"))
    cid = ok(crm("customer", "add", "Acme", "--json", user="rep")).json()["id"]
    args, expected = WRITES[write]

    monkeypatch.setenv("CRM_NOW", LATER)
    engine = engine_for(resolve(db_url))
    with Session(bind=engine.execution_options(crm_write=True)) as holder:
        moved = recycle.run(holder, load_actor(holder, "admin"))  # the nightly run, still uncommitted
        assert moved.moved == 1
        proc = _start(db_url, [a.format(id=cid) for a in args])
        _wait_until_blocked(holder, proc)
        holder.commit()
    out, err = proc.communicate(timeout=120)

    assert proc.returncode == expected, err
    assert err.count("\n") == 1 and "internal error" not in err, err
    if expected == 3:
        assert err.strip() == f"crm: error: no customer {cid}", err
    with session() as s:
        customer = s.get(Customer, cid)
        assert customer.owner_id is None and customer.industry is None
        assert s.execute(select(func.count()).select_from(FollowUp)).scalar_one() == 0
        actions = list(s.execute(select(AuditLog.action).where(AuditLog.id > 0).order_by(AuditLog.id)).scalars())
    assert actions[-1] == "customer.recycle", actions
