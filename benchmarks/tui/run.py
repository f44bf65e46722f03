#!/usr/bin/env python
"""TUI benchmarks for ``crm tui``, measured headless with Textual's Pilot; each target is a ratio against a
baseline measured in the same run (the same screen on a small database).

Two SQLite databases: a small one (100 open opportunities, 100 tasks) and a large one (default 100,000 open
opportunities across the four open stages and 10,000 tasks), everything owned by the acting user, so the
pipeline view has all of it to show.  Each is measured in a fresh child process:

  (a) first paint of the pipeline (``crm tui --view pipeline``: from creating the app to the board on screen,
      its aggregate and every column's cards loaded)  large <= 1.5x small;
  (b) moving a card (``L``, then ``H``: the service call, then the board reloaded)  large <= 1.5x small;
  (c) peak memory (ru_maxrss) of the child with the large database  < 300 MB.

Medians of --repeat runs.

    .venv/bin/python benchmarks/tui/run.py                 # 100,000 opportunities, 10,000 tasks
    .venv/bin/python benchmarks/tui/run.py --quick         # 10,000 opportunities, 1,000 tasks

Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import random
import resource
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
_spec.loader.exec_module(records_bench)  # reuse its helpers: environment, sqlite3 connection, report

CRM, Result, clean_env, sqlite_connect, report = (records_bench.CRM, records_bench.Result, records_bench.clean_env,
                                                   records_bench.sqlite_connect, records_bench.report)
NOW = "2026-11-20T10:00:00+00:00"
NOW_SQL = "2026-11-20 10:00:00.000000"
SIZE = (120, 40)


# --- data --------------------------------------------------------------------------------------------


def build(template: Path, db: Path, opportunities: int, tasks: int) -> None:
    """Copy the template and add the opportunities and tasks with raw sqlite3 (indexes rebuilt after)."""
    shutil.copyfile(template, db)
    rnd = random.Random(3)
    conn = sqlite_connect(db)
    me = conn.execute("SELECT id FROM user_account WHERE login = 'bench'").fetchone()[0]
    conn.execute("BEGIN IMMEDIATE")
    customers = max(1, opportunities // 100)
    conn.executemany(
        "INSERT INTO customer (name, kind, status, owner_id, locked, deal_status, created_at, updated_at) "
        "VALUES (?, 'company', 'active', ?, 0, 'none', ?, ?)",
        ((f"客户 {i} 有限公司", me, NOW_SQL, NOW_SQL) for i in range(customers)))
    conn.executemany(
        "INSERT INTO opportunity (customer_id, name, amount, currency, stage_id, status, expected_close, owner_id, "
        "owned_since, stage_changed_at, created_by, created_at, updated_at) "
        "VALUES (?, ?, ?, 'CNY', ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
        ((rnd.randrange(1, customers + 1), f"商机 {i}", rnd.randrange(1, 5_000_000) * 100, rnd.randrange(1, 5),
          f"2027-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}", me, NOW_SQL, NOW_SQL, me, NOW_SQL, NOW_SQL)
         for i in range(opportunities)))
    conn.execute("INSERT INTO stage_change (opportunity_id, from_stage_id, to_stage_id, move, at) "
                 "SELECT id, NULL, stage_id, 'create', ? FROM opportunity", (NOW_SQL,))
    conn.executemany(
        "INSERT INTO task (title, status, priority, assignee_id, due_at, created_by, created_at, updated_at) "
        "VALUES (?, 'open', 'medium', ?, ?, ?, ?, ?)",
        ((f"任务 {i}", me, f"2026-{rnd.randrange(10, 13):02d}-{rnd.randrange(1, 29):02d} 09:00:00.000000", me,
          NOW_SQL, NOW_SQL) for i in range(tasks)))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


# --- one measured child --------------------------------------------------------------------------------


async def measure(db: Path, repeat: int) -> dict[str, float]:
    from crmcli.runtime import Runtime
    from crmcli.tui.app import CrmApp
    from crmcli.tui.data import Data
    from crmcli.tui.screens.pipeline import PipelineScreen

    async def settled(pilot) -> None:
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    paints, moves = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        data = Data(Runtime(db=str(db), user="bench", command_line="crm tui"))
        data.open()
        app = CrmApp(data, start="pipeline")
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            screen = app.screen
            assert isinstance(screen, PipelineScreen) and screen.board is not None
            assert any(c.cards.cards for c in screen.columns)
            paints.append(time.perf_counter() - start)
            for key in ("L", "H") * 2:
                before = screen.board
                moved = time.perf_counter()
                await pilot.press(key)
                await settled(pilot)
                assert screen.board is not before, "the board did not reload"
                moves.append(time.perf_counter() - moved)
            problems = [str(n.message) for n in app._notifications if n.severity == "error"]
            assert not problems, problems
    return {"paint": statistics.median(paints), "move": statistics.median(moves),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(db: Path, repeat: int) -> None:
    import gc

    gc.freeze()
    print(json.dumps(asyncio.run(measure(db, repeat))))


def run_child(env: dict[str, str], db: Path, repeat: int) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--child", str(db), "--repeat", str(repeat)], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the measuring child failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="open opportunities in the large database")
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in the large database")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--quick", action="store_true", help="10,000 opportunities and 1,000 tasks")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeat)
        return 0
    if args.quick:
        args.rows, args.tasks = 10_000, 1_000
    work = Path(tempfile.mkdtemp(prefix="crm-tui-bench-"))
    home = work / "home"
    home.mkdir()
    env = clean_env(home)
    env["PYTHONPATH"] = str(ROOT)
    print(f"crm tui benchmark: {args.rows:,} open opportunities and {args.tasks:,} tasks against 100 and 100; "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; {work}",
          flush=True)
    started = time.perf_counter()
    try:
        template = work / "template.sqlite"
        subprocess.run([*CRM, "--db", str(template), "init", "--admin", "bench", "--name", "Bench"], env=env,
                       check=True, capture_output=True)
        small, large = work / "small.sqlite", work / "large.sqlite"
        build(template, small, 100, 100)
        t = time.perf_counter()
        build(template, large, args.rows, args.tasks)
        print(f"  built the large database in {time.perf_counter() - t:.1f} s", flush=True)
        base = run_child(env, small, args.repeat)
        big = run_child(env, large, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"  small: first paint {base['paint'] * 1000:.0f} ms, move {base['move'] * 1000:.0f} ms, "
          f"peak {base['rss_mb']:.0f} MB")
    print(f"  large: first paint {big['paint'] * 1000:.0f} ms, move {big['move'] * 1000:.0f} ms, "
          f"peak {big['rss_mb']:.0f} MB")
    paint, move = big["paint"] / base["paint"], big["move"] / base["move"]
    results = [
        Result("(a) first paint", f"{args.rows:,} opps", "100 opps", paint, "1.5x", paint <= 1.5),
        Result("(b) move a card", f"{args.rows:,} opps", "100 opps", move, "1.5x", move <= 1.5),
        Result("(c) peak memory", f"{args.rows:,} opps", "limit", big["rss_mb"], "300 MB", big["rss_mb"] < 300),
    ]
    report(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
