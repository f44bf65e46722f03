"""Races between real ``crm`` processes on the test database (SQLite or, with CRM_TEST_DATABASE_URL, PostgreSQL):

* eight processes claiming the same pool customers at once: each customer ends with exactly one
  owner, nobody passes the claim limit, and the losers get exit 5 naming the winner;
* ``crm pool recycle`` racing claims and follow-ups: the operation log replays to the final owners
  (no customer is both claimed and recycled out of turn), and no customer is recycled after a
  follow-up that was logged before the recycling.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter

from sqlalchemy import select

from crmcli.store.models import AuditLog, Customer, User
from tests.commands._customer_org import ok
from tests.conftest import ROOT

NOW = "2026-11-20T10:00:00+00:00"
LATER = "2026-12-21T10:00:00+00:00"


def spawn(db_url: str, user: str, now: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=db_url, CRM_USER=user, CRM_NOW=now, CRM_LANG="en", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "crmcli", "batch", "--keep-going", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))


def finish(procs: list[subprocess.Popen], inputs: list[str]) -> list[tuple[int, str]]:
    # write every process's input first, so that they all run at once
    for proc, text in zip(procs, inputs):
        proc.stdin.write(text)
        proc.stdin.close()
    results = []
    for proc in procs:
        err = proc.stderr.read()
        proc.stdout.read()
        results.append((proc.wait(timeout=300), err))
    return results


def test_eight_processes_claim_the_same_customers(crm, db_url, session, monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    claimers = [f"u{i}" for i in range(4)]
    for login in claimers:
        ok(crm("user", "add", login, "--name", login, "--role", "sales_rep"))
    ok(crm("pool", "rule", "set", "max_owned=6", "reclaim_days=0"))
    ids = [ok(crm("customer", "add", f"Pooled {i}", "--json")).json()["id"] for i in range(24)]
    ok(crm("pool", "return", *ids, "--reason", "for the race"))

    rng = random.Random(7)
    procs, inputs = [], []
    for i in range(8):  # two processes per user: their claims race each other too
        order = ids[:]
        rng.shuffle(order)
        procs.append(spawn(db_url, claimers[i % 4], NOW))
        inputs.append("".join(f"pool claim {cid}\n" for cid in order))
    results = finish(procs, inputs)

    with session() as s:
        owners = dict(s.execute(select(Customer.id, Customer.owner_id).where(Customer.id.in_(ids))).all())
        logins = dict(s.execute(select(User.id, User.login)).all())
        claims = list(s.execute(select(AuditLog.record_id).where(AuditLog.action == "customer.claim")).scalars())
    assert all(owners[cid] is not None for cid in ids)  # 4 users x 6 = 24: every customer was taken
    per_user = Counter(logins[o] for o in owners.values())
    assert set(per_user) <= set(claimers) and max(per_user.values()) <= 6
    assert sorted(claims) == sorted(ids)  # each customer claimed exactly once
    for code, err in results:
        # every process lost some: the first failing line's exit code (3: taken by a colleague outside
        # the claimer's scope, which reads as not found — access matrix, issue 11)
        assert code in (5, 3), err
        lost = [line for line in err.splitlines() if line.startswith("crm: error:")]
        assert lost
        for line in lost:
            assert (" was claimed by u" in line and line.endswith(" first")) or ": it belongs to u" in line \
                or "pool Public pool allows at most 6" in line or line.startswith("crm: error: no customer "), line


def test_recycle_races_claims_and_follow_ups(crm, db_url, session, monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    for login in ("rep", "c1", "c2"):
        ok(crm("user", "add", login, "--name", login, "--role", "sales_rep"))
    ok(crm("pool", "rule", "set", "reclaim_days=0"))
    owned = [ok(crm("customer", "add", f"Owned {i}", "--json", user="rep")).json()["id"] for i in range(60)]
    pooled = [ok(crm("customer", "add", f"Pooled {i}", "--json")).json()["id"] for i in range(30)]
    ok(crm("pool", "return", *pooled, "--reason", "for the race"))

    rng = random.Random(11)
    targets = owned + pooled
    procs, inputs = [], []
    procs.append(spawn(db_url, "admin", LATER))
    inputs.append("pool recycle\n")
    for login in ("c1", "c2"):
        order = targets[:]
        rng.shuffle(order)
        procs.append(spawn(db_url, login, LATER))
        inputs.append("".join(f"pool claim {cid}\n" for cid in order))
    followed = owned[::2]
    procs.append(spawn(db_url, "rep", LATER))
    inputs.append("".join(f"customer follow {cid} --via phone --note 'discussed the renewal terms'\n"
                          for cid in followed))
    results = finish(procs, inputs)
    assert results[0][0] == 0, results[0][1]

    with session() as s:
        final = dict(s.execute(select(Customer.id, Customer.owner_id).where(Customer.id.in_(targets))).all())
        rows = list(s.execute(select(AuditLog).where(AuditLog.record_type == "customer",
                                                     AuditLog.record_id.in_(targets),
                                                     AuditLog.action.in_(("customer.add", "customer.return",
                                                                          "customer.claim", "customer.recycle",
                                                                          "followup.add")))
                              .order_by(AuditLog.id)).scalars())
    # the log replays to the final owners: every move starts from the owner the previous move left
    owner: dict[int, int | None] = {}
    recycled_after_follow_up = []
    followed_up: set[int] = set()
    for row in rows:
        if row.action == "followup.add":
            followed_up.add(row.record_id)
            continue
        before, after = row.changes["owner_id"]
        if row.action != "customer.add":
            assert owner[row.record_id] == before, (row.action, row.record_id)
        if row.action == "customer.recycle" and row.record_id in followed_up:
            recycled_after_follow_up.append(row.record_id)
        owner[row.record_id] = after
    assert owner == final
    assert recycled_after_follow_up == []
    # every customer followed up before the run ended either kept its owner or was recycled before the follow-up
    recycled = {r.record_id for r in rows if r.action == "customer.recycle"}
    assert recycled <= set(owned)
    assert len({r.record_id for r in rows if r.action == "customer.claim"}) == \
        len([r for r in rows if r.action == "customer.claim"])  # nobody claimed a customer twice without a move between


def test_two_recycle_runs_at_once_move_each_customer_once(crm, db_url, session, monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)
    ok(crm("user", "add", "rep", "--name", "rep", "--role", "sales_rep"))
    owned = [ok(crm("customer", "add", f"Owned {i}", "--json", user="rep")).json()["id"] for i in range(80)]
    procs = [spawn(db_url, "admin", LATER) for _ in range(3)]
    results = finish(procs, ["pool recycle\n"] * 3)
    assert [code for code, _err in results] == [0, 0, 0], results
    with session() as s:
        moved = list(s.execute(select(AuditLog.record_id).where(AuditLog.action == "customer.recycle")).scalars())
        owners = set(s.execute(select(Customer.owner_id).where(Customer.id.in_(owned))).scalars())
    assert sorted(moved) == owned and owners == {None}
