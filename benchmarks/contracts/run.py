#!/usr/bin/env python
"""Receivables benchmark for crm on SQLite: each target is a ratio against a baseline measured in the same run.

On a database of N contracts with 10 receivable plans each (100,000 and 1,000,000 at full size):

  (a) ``crm receivable list --overdue``            <= 2x the hand-written SQL through raw sqlite3
  (b) ``crm receivable aging`` (0–30 … 90+ buckets) <= 2x the hand-written SQL through raw sqlite3

crm runs in this (warm) process, as ``crm batch`` and the TUI run commands, acting as a super
administrator (data scope: everything); the baseline is the same query written by hand.

Run with the project's interpreter: ``.venv/bin/python benchmarks/contracts/run.py`` (full size) or
``--contracts 10000`` (quick).  Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from pathlib import Path

PY = sys.executable
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
NOW = "2026-11-20T10:00:00+00:00"
NOW_SQL = "2026-11-20 10:00:00.000000"
TODAY = date(2026, 11, 20)
PLANS_PER_CONTRACT = 10
SCALE = 10_000  # crmcli.store.models.contracts.MONEY_SCALE: amounts are integers of 1/10,000

from benchmarks.records.run import CRM, Result, clean_env, report  # noqa: E402


def sqlite_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=OFF")  # the load only: every id written is valid
    return conn


def build(env: dict[str, str], work: Path, contracts: int) -> tuple[Path, dict[str, int]]:
    db = work / "receivables.sqlite"
    subprocess.run([*CRM, "--db", str(db), "init", "--admin", "bench", "--name", "Bench"], env=env, check=True,
                   capture_output=True)
    script = "".join(f"user add rep{i} --name 'Rep {i}' --role sales_rep\n" for i in range(1, 9))
    subprocess.run([*CRM, "--db", str(db), "--user", "bench", "batch", "-"], env=env, input=script, text=True,
                   check=True, capture_output=True)
    conn = sqlite_connect(db)
    users = dict(conn.execute("SELECT login, id FROM user_account").fetchall())
    owners = [users[f"rep{i}"] for i in range(1, 9)] + [users["bench"]]
    rnd = random.Random(5)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    customers = max(contracts // 10, 1)
    conn.executemany(
        "INSERT INTO customer (id, name, kind, status, owner_id, locked, deal_status, created_at, updated_at) "
        "VALUES (?, ?, 'company', 'active', ?, 0, 'won', ?, ?)",
        ((i, f"Customer {i}", rnd.choice(owners), NOW_SQL, NOW_SQL) for i in range(1, customers + 1)))
    statuses = ["active"] * 6 + ["approved"] * 2 + ["completed", "draft"]
    currencies = ["CNY"] * 8 + ["USD", "EUR"]

    def contract_rows():
        for i in range(1, contracts + 1):
            amount = rnd.randrange(10_000, 2_000_000) * 100 * SCALE // 100
            yield (i, f"HT-2026-{i:07d}", f"Contract {i}", rnd.randrange(1, customers + 1), rnd.choice(owners),
                   rnd.choice(currencies), amount, 0, 0, rnd.choice(statuses), NOW_SQL, NOW_SQL)

    conn.executemany("INSERT INTO contract (id, number, title, customer_id, owner_id, currency, amount, paid, invoiced, "
                     "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", contract_rows())
    amounts = dict(conn.execute("SELECT id, amount FROM contract").fetchall())

    def plan_rows():
        for contract_id in range(1, contracts + 1):
            share = amounts[contract_id] // PLANS_PER_CONTRACT
            base = TODAY + timedelta(days=rnd.randrange(-420, 200))
            for seq in range(1, PLANS_PER_CONTRACT + 1):
                due = base + timedelta(days=30 * seq)
                state = rnd.random()
                if due < TODAY and state < 0.7:
                    paid, status = share, "paid"
                elif state < 0.85:
                    paid, status = 0, "open"
                else:
                    paid, status = share // 2, "partial"
                yield (contract_id, seq, share, paid, status, due.isoformat(), NOW_SQL)

    conn.execute("DROP INDEX ix_receivable_plan_status_due")
    conn.executemany("INSERT INTO receivable_plan (contract_id, seq, amount, paid, status, due_on, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", plan_rows())
    conn.execute("CREATE INDEX ix_receivable_plan_status_due ON receivable_plan (status, due_on)")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    print(f"  built {contracts:,} contracts and {contracts * PLANS_PER_CONTRACT:,} plans in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    return db, users


def crm_in_process(db: Path, args: list[str]) -> float:
    from crmcli.cli import run

    sink = io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(sink), redirect_stderr(io.StringIO()):
        code = run(["--db", str(db), "--user", "bench", "--format", "tsv", *args])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"crm {' '.join(args)} failed ({code})")
    if sink.getvalue().count("\n") < 2:
        raise SystemExit(f"crm {' '.join(args)} found nothing")
    return elapsed


def raw_query(conn: sqlite3.Connection, sql: str, params: tuple) -> float:
    start = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - start
    if not rows:
        raise SystemExit(f"raw query found nothing: {sql}")
    return elapsed


OVERDUE_SQL = """
SELECT p.id, c.id, c.number, cu.name, u.login, d.name, p.seq, p.due_on, c.currency, p.amount, p.paid
FROM receivable_plan p JOIN contract c ON c.id = p.contract_id JOIN customer cu ON cu.id = c.customer_id
LEFT JOIN user_account u ON u.id = c.owner_id LEFT JOIN department d ON d.id = u.department_id
WHERE p.status IN ('open', 'partial') AND c.status IN ('approved', 'active') AND p.due_on < ?
ORDER BY p.due_on, p.id LIMIT 100
"""

AGING_SQL = """
SELECT c.currency,
  SUM(CASE WHEN p.due_on > ? THEN p.amount - p.paid ELSE 0 END),
  SUM(CASE WHEN p.due_on <= ? AND p.due_on >= ? THEN p.amount - p.paid ELSE 0 END),
  SUM(CASE WHEN p.due_on < ? AND p.due_on >= ? THEN p.amount - p.paid ELSE 0 END),
  SUM(CASE WHEN p.due_on < ? AND p.due_on >= ? THEN p.amount - p.paid ELSE 0 END),
  SUM(CASE WHEN p.due_on < ? THEN p.amount - p.paid ELSE 0 END)
FROM receivable_plan p JOIN contract c ON c.id = p.contract_id
WHERE p.status IN ('open', 'partial') AND c.status IN ('approved', 'active')
GROUP BY c.currency ORDER BY c.currency
"""


def bench(db: Path, work: Path, repeat: int) -> list[Result]:
    for key, value in clean_env(work / "home").items():
        os.environ[key] = value
    for key in [k for k in os.environ if k.startswith("CRM_") and k not in ("CRM_CONFIG", "CRM_LANG", "CRM_NOW")]:
        del os.environ[key]
    conn = sqlite3.connect(db)
    t = TODAY.isoformat()
    d30, d60, d90 = ((TODAY - timedelta(days=n)).isoformat() for n in (30, 60, 90))
    cases = {
        "(a) crm receivable list --overdue": (["receivable", "list", "--overdue"], OVERDUE_SQL, (t,)),
        "(b) crm receivable aging": (["receivable", "aging"], AGING_SQL, (t, t, d30, d30, d60, d60, d90, d90)),
    }
    results = []
    for label, (args, sql, params) in cases.items():
        crm_in_process(db, args)  # warm-up: imports, engine, schema check
        raw_query(conn, sql, params)
        crm_times, raw_times = [], []
        for _ in range(repeat):
            crm_times.append(crm_in_process(db, args))
            raw_times.append(raw_query(conn, sql, params))
        crm_s, raw_s = statistics.median(crm_times), statistics.median(raw_times)
        ratio = crm_s / raw_s
        results.append(Result(label, f"{crm_s * 1000:.1f} ms", f"raw sqlite3 {raw_s * 1000:.1f} ms", ratio, "<= 2x",
                              ratio <= 2.0))
    conn.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=100_000, help="contracts (each with 10 plans)")
    parser.add_argument("--quick", action="store_true", help="10,000 contracts and 100,000 plans")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per query (median)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    contracts = 10_000 if args.quick else args.contracts
    work = Path(tempfile.mkdtemp(prefix="crm-contracts-bench-"))
    (work / "home").mkdir()
    env = clean_env(work / "home")
    print(f"crm receivables benchmark: {contracts:,} contracts, {contracts * PLANS_PER_CONTRACT:,} plans; "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; {work}",
          flush=True)
    started = time.perf_counter()
    try:
        db, _users = build(env, work, contracts)
        results = bench(db, work, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
