#!/usr/bin/env python
"""Pipeline benchmarks for crm on SQLite: each target is a ratio against a baseline measured in the same run.

On a database of N opportunities (default 1,000,000; 70% open across the four open stages, 15% won,
15% lost, each with its stage history) owned by 16 reps in Sales/East and Sales/West plus others:

  (a) ``crm opp pipeline --dept Sales`` (a department with its children)  <= 2x the hand-written
      ``GROUP BY`` aggregate through raw sqlite3;
  (b) ``crm opp forecast --period this-quarter --dept Sales``  <= 2x the two hand-written aggregates
      it needs (open amounts per owner/stage/currency in the period; historical win rates per owner/stage)
      through raw sqlite3.

crm runs in this (warm) process, as ``crm batch`` and the TUI run commands: the whole command is timed
(argument parsing, the actor and scope, the queries, the output).  Medians of --repeat runs.

    .venv/bin/python benchmarks/pipeline/run.py              # 1,000,000 opportunities
    .venv/bin/python benchmarks/pipeline/run.py --rows 100000 --repeat 5

Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import importlib.util
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("records_bench", ROOT / "benchmarks" / "records" / "run.py")
records_bench = importlib.util.module_from_spec(_spec)
sys.modules["records_bench"] = records_bench
_spec.loader.exec_module(records_bench)  # reuse its helpers: environment, crm runner, sqlite3 connection, report

CRM, Result, clean_env, crm, sqlite_connect, crm_in_process, report = (
    records_bench.CRM, records_bench.Result, records_bench.clean_env, records_bench.crm, records_bench.sqlite_connect,
    records_bench.crm_in_process, records_bench.report)

NOW_SQL = "2026-11-20 10:00:00.000000"
OPP_COLUMNS = ("customer_id", "name", "amount", "currency", "stage_id", "status", "expected_close", "owner_id",
               "owned_since", "stage_changed_at", "closed_at", "created_by", "created_at", "updated_at")


def build_db(env: dict[str, str], work: Path, template: Path, rows: int) -> tuple[Path, list[int]]:
    db = work / "pipeline.sqlite"
    shutil.copyfile(template, db)
    script = ["dept add Sales", "dept add East --parent Sales", "dept add West --parent Sales", "dept add Support"]
    script += [f"user add rep{i} --name 'Rep {i}' --dept {'East' if i % 2 else 'West'} --role sales_rep"
               for i in range(16)]
    script += [f"user add other{i} --name 'Other {i}' --dept Support --role sales_rep" for i in range(8)]
    crm(env, db, "batch", "-", stdin="\n".join(script) + "\n")
    conn = sqlite_connect(db)
    users = dict(conn.execute("SELECT login, id FROM user_account").fetchall())
    sales_depts = [r[0] for r in conn.execute(
        "SELECT id FROM department WHERE name IN ('Sales', 'East', 'West')").fetchall()]
    owners = [users[f"rep{i}"] for i in range(16)] + [users[f"other{i}"] for i in range(8)]
    rnd = random.Random(5)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    n_customers = max(1, rows // 100)
    conn.executemany(
        "INSERT INTO customer (name, kind, status, owner_id, locked, deal_status, created_at, updated_at) "
        "VALUES (?, 'company', 'active', ?, 0, 'none', ?, ?)",
        ((f"Customer {i}", rnd.choice(owners), NOW_SQL, NOW_SQL) for i in range(n_customers)))
    for index in [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('opportunity', 'stage_change') "
            "AND sql IS NOT NULL").fetchall()]:
        conn.execute(f"DROP INDEX {index}")  # built again after the load (6x faster)
    history: list[tuple] = []

    def opportunities():
        for i in range(rows):
            roll = rnd.random()
            status, stage = ("won", 5) if roll < 0.15 else (("lost", 6) if roll < 0.30 else ("open", rnd.randrange(1, 5)))
            close = f"2026-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}" if status != "open" else \
                f"{rnd.choice((2026, 2027))}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
            closed = NOW_SQL if status != "open" else None
            yield (rnd.randrange(1, n_customers + 1), f"Deal {i}", rnd.randrange(1, 5_000_000) * 100,
                   "USD" if i % 20 == 0 else "CNY", stage, status, close, rnd.choice(owners), NOW_SQL, NOW_SQL, closed,
                   1, NOW_SQL, NOW_SQL)

    conn.executemany(f"INSERT INTO opportunity ({', '.join(OPP_COLUMNS)}) VALUES ({', '.join('?' * len(OPP_COLUMNS))})",
                     opportunities())
    # stage history: created in stage 1, then through a random reach of the open stages, then closed
    rnd2 = random.Random(9)
    for opp_id, stage, status in conn.execute("SELECT id, stage_id, status FROM opportunity").fetchall():
        reach = stage if status == "open" else rnd2.randrange(1, 5)
        history.append((opp_id, None, 1, "create", NOW_SQL))
        for s in range(2, reach + 1):
            history.append((opp_id, s - 1, s, "advance", NOW_SQL))
        if status != "open":
            history.append((opp_id, reach, stage, "win" if status == "won" else "lose", NOW_SQL))
    conn.executemany("INSERT INTO stage_change (opportunity_id, from_stage_id, to_stage_id, move, at) "
                     "VALUES (?, ?, ?, ?, ?)", history)
    conn.execute("COMMIT")
    conn.close()
    # the indexes as the models declare them (create_all's DDL, replayed)
    from sqlalchemy import create_engine
    from sqlalchemy.schema import CreateIndex

    import crmcli.store.models  # noqa: F401
    from crmcli.store.models.pipeline import Opportunity, StageChange

    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        for table in (Opportunity.__table__, StageChange.__table__):
            for index in table.indexes:
                c.execute(CreateIndex(index))
        c.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"  built a database of {rows:,} opportunities and {len(history):,} stage changes in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    return db, sales_depts


def raw_time(conn: sqlite3.Connection, queries: list[tuple[str, tuple]]) -> float:
    start = time.perf_counter()
    for sql, params in queries:
        if not conn.execute(sql, params).fetchall():
            raise SystemExit(f"raw query found nothing: {sql}")
    return time.perf_counter() - start


def bench(env: dict[str, str], work: Path, template: Path, rows: int, repeat: int) -> list[Result]:
    db, depts = build_db(env, work, template, rows)
    for key, value in clean_env(work / "home").items():
        os.environ[key] = value
    for key in [k for k in os.environ if k.startswith("CRM_") and k not in ("CRM_CONFIG", "CRM_LANG", "CRM_NOW")]:
        del os.environ[key]
    conn = sqlite_connect(db)
    marks = ", ".join("?" * len(depts))
    members = f"SELECT id FROM user_account WHERE department_id IN ({marks})"
    pipeline_sql = (f"SELECT stage_id, currency, count(*), sum(amount) FROM opportunity "
                    f"WHERE status = 'open' AND owner_id IN ({members}) GROUP BY stage_id, currency")
    open_sql = (f"SELECT owner_id, stage_id, currency, count(*), sum(amount) FROM opportunity "
                f"WHERE status = 'open' AND owner_id IN ({members}) AND expected_close >= ? AND expected_close <= ? "
                f"GROUP BY owner_id, stage_id, currency")
    rates_sql = (f"SELECT o.owner_id, c.to_stage_id, count(DISTINCT CASE WHEN o.status = 'won' THEN o.id END), "
                 f"count(DISTINCT o.id) FROM opportunity o JOIN stage_change c ON c.opportunity_id = o.id "
                 f"WHERE o.status IN ('won', 'lost') AND o.owner_id IN ({members}) GROUP BY o.owner_id, c.to_stage_id")
    cases = {
        "(a) crm opp pipeline --dept Sales": (["opp", "pipeline", "--dept", "Sales"],
                                              [(pipeline_sql, tuple(depts))]),
        "(b) crm opp forecast --period this-quarter --dept Sales": (
            ["opp", "forecast", "--period", "this-quarter", "--dept", "Sales"],
            [(open_sql, (*depts, "2026-10-01", "2026-12-31")), (rates_sql, tuple(depts))]),
    }
    results = []
    for label, (args, queries) in cases.items():
        crm_in_process(db, args)  # warm-up: imports, engine, schema check
        raw_time(conn, queries)
        crm_times, raw_times = [], []
        for _ in range(repeat):
            crm_times.append(crm_in_process(db, args))
            raw_times.append(raw_time(conn, queries))
        crm_s, raw_s = statistics.median(crm_times), statistics.median(raw_times)
        ratio = crm_s / raw_s
        results.append(Result(label, f"{crm_s * 1000:.1f} ms", f"raw sqlite3 {raw_s * 1000:.1f} ms", ratio, "<= 2x",
                              ratio <= 2.0))
    conn.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="opportunities in the database")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case (median)")
    parser.add_argument("--quick", action="store_true", help="100,000 opportunities, 5 runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat = 100_000, 5
    work = Path(tempfile.mkdtemp(prefix="crm-pipeline-bench-"))
    home = work / "home"
    home.mkdir()
    env = clean_env(home)
    print(f"crm pipeline benchmark: {args.rows:,} opportunities; Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; {work}", flush=True)
    started = time.perf_counter()
    try:
        template = work / "template.sqlite"
        subprocess.run([*CRM, "--db", str(template), "init", "--admin", "bench", "--name", "Bench"], env=env,
                       check=True, capture_output=True)
        results = bench(env, work, template, args.rows, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
