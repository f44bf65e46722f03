#!/usr/bin/env python
"""Schedule benchmark for crm on SQLite: ``crm today`` must not cost more in a big database.

Two databases are built in the same run: a small one (1,000 tasks and 100 events by default) and a
big one (1,000,000 tasks and 100,000 events).  In both, the user ``bench`` has the same work (40
tasks: overdue, due today, later, done; 12 events, some today; 6 leads and customers with next
contacts due); everything else belongs to 200 other users and spreads over two years.

Target: ``crm today`` for ``bench`` on the big database <= 1.3x the same command on the small one
(medians of warm in-process runs, as ``crm batch`` and the TUI run commands; the start-up of a fresh
process is the same for both and is printed for context).  The raw sqlite3 time of the page's
queries is printed as a baseline.

Run with the project's interpreter: ``.venv/bin/python benchmarks/schedule/run.py`` (``--quick`` for
100,000 tasks and 10,000 events).  Exits 1 when the target fails.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
OTHERS = 200


def crm_command() -> list[str]:
    script = Path(sys.executable).parent / "crm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "crmcli"]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_") and k != "NO_COLOR"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               CRM_CONFIG=str(home / "crm-config.toml"), CRM_LANG="en", TZ="UTC", CRM_NOW=NOW.isoformat())
    return env


def sql_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def crm(env: dict[str, str], db: Path, *args: str) -> str:
    proc = subprocess.run([*crm_command(), "--db", str(db), "--user", "admin", *args], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"crm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def template(env: dict[str, str], work: Path) -> Path:
    """A database with admin, the user bench (sales rep) and its own work made through crm."""
    db = work / "template.sqlite"
    crm(env, db, "init", "--admin", "admin", "--name", "Admin")
    crm(env, db, "user", "add", "bench", "--name", "Bench", "--role", "sales_rep")
    return db


def fill(db: Path, tasks: int, events: int, seed: int = 11) -> None:
    """Raw sqlite3 bulk load: OTHERS users, then ``tasks`` and ``events`` (bench's share fixed, the rest others')."""
    rnd = random.Random(seed)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    created = sql_time(NOW - timedelta(days=800))
    first_other = conn.execute("SELECT max(id) FROM user_account").fetchone()[0] + 1
    conn.executemany("INSERT INTO user_account (login, name, department_id, disabled, created_at) VALUES (?, ?, 1, 0, ?)",
                     [(f"u{i}", f"User {i}", created) for i in range(OTHERS)])
    bench = conn.execute("SELECT id FROM user_account WHERE login = 'bench'").fetchone()[0]
    others = list(range(first_other, first_other + OTHERS))
    cols = "title, status, priority, assignee_id, due_at, created_by, created_at, updated_at, done_at, remind_at"
    mine = []
    for i in range(40):  # bench: 8 overdue, 6 today, 10 later, 6 no date, 10 done
        kind = ("overdue", "today", "later", "none", "done")[min(i // 8, 4)] if i < 40 else "done"
        due = {"overdue": NOW - timedelta(days=1 + i % 5), "today": NOW + timedelta(hours=1 + i % 6),
               "later": NOW + timedelta(days=2 + i), "none": None, "done": NOW - timedelta(days=3)}[kind]
        mine.append((f"bench task {i}", "done" if kind == "done" else "open", ("high", "medium", "low", None)[i % 4],
                     bench, sql_time(due) if due else None, bench, sql_time(NOW - timedelta(days=i)), sql_time(NOW),
                     sql_time(NOW - timedelta(days=1)) if kind == "done" else None, None))
    conn.executemany(f"INSERT INTO task ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", mine)

    def other_tasks():
        for i in range(tasks - len(mine)):
            when = NOW + timedelta(minutes=rnd.randint(-525_600, 525_600))
            done = when < NOW and rnd.random() < 0.8
            yield (f"task {i}", "done" if done else "open", ("high", "medium", "low", None)[i % 4],
                   others[i % OTHERS], sql_time(when) if i % 7 else None, others[i % OTHERS],
                   sql_time(when - timedelta(days=3)), sql_time(when), sql_time(when) if done else None,
                   sql_time(when - timedelta(hours=1)) if i % 3 == 0 else None)

    batch: list[tuple] = []
    for row in other_tasks():
        batch.append(row)
        if len(batch) == 50_000:
            conn.executemany(f"INSERT INTO task ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch = []
    conn.executemany(f"INSERT INTO task ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)

    ecols = "title, start_at, end_at, all_day, status, organizer_id, sequence, created_by, created_at, updated_at"
    start_id = (conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0]) + 1
    events_rows, attendees = [], []
    for i in range(events):
        if i < 12:  # bench's: 6 in the past, 3 today, 3 next week
            start = NOW + timedelta(days=(-30 + i * 5) if i < 6 else 0, hours=(i - 6) if 6 <= i < 9 else 0)
            if i >= 9:
                start = NOW + timedelta(days=7 + i)
            owner, guests = bench, [others[i]]
        else:
            start = NOW + timedelta(minutes=rnd.randint(-525_600, 525_600))
            owner, guests = others[i % OTHERS], [others[(i * 7 + 1) % OTHERS]]
        end = start + timedelta(minutes=rnd.choice((30, 60, 90)))
        events_rows.append((f"event {i}", sql_time(start), sql_time(end), 0, "scheduled", owner, 0, owner,
                            sql_time(start - timedelta(days=7)), sql_time(start - timedelta(days=7))))
        for user in [owner, *guests]:
            attendees.append((start_id + i, user, sql_time(start), sql_time(end), 1))
    conn.executemany(f"INSERT INTO event ({ecols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events_rows)
    conn.executemany("INSERT INTO event_attendee (event_id, user_id, start_at, end_at, active) VALUES (?, ?, ?, ?, ?)",
                     attendees)
    for i in range(6):  # bench's next contacts: 3 leads, 3 customers
        due = sql_time(NOW + timedelta(hours=i - 3))
        conn.execute("INSERT INTO lead (name, score, status, owner_id, next_contact_at, created_at, updated_at) "
                     "VALUES (?, 0, 'new', ?, ?, ?, ?)", (f"Lead {i}", bench, due, created, created))
        conn.execute("INSERT INTO customer (name, kind, status, owner_id, locked, deal_status, next_contact_at, "
                     "created_at, updated_at) VALUES (?, 'company', 'active', ?, 0, 'none', ?, ?, ?)",
                     (f"Customer {i}", bench, due, created, created))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def today_in_process(db: Path) -> tuple[float, int]:
    from crmcli.cli import run

    sink = io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(sink), redirect_stderr(io.StringIO()):
        code = run(["--db", str(db), "--user", "bench", "--format", "tsv", "today"])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"crm today failed ({code})")
    return elapsed, sink.getvalue().count("\n") - 1


def today_process(env: dict[str, str], db: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*crm_command(), "--db", str(db), "--user", "bench", "--format", "tsv", "today"], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return time.perf_counter() - start


RAW = [
    ("SELECT * FROM task WHERE assignee_id IN (SELECT id FROM user_account WHERE id = ?) AND status = 'open' "
     "AND due_at < ? AND (snoozed_until IS NULL OR snoozed_until <= ?)", 3),
    ("SELECT task.* FROM task JOIN task_participant p ON p.task_id = task.id WHERE p.user_id = ? "
     "AND task.status = 'open' AND task.due_at < ?", 2),
    ("SELECT * FROM lead WHERE owner_id = ? AND next_contact_at < ?", 2),
    ("SELECT * FROM customer WHERE owner_id = ? AND next_contact_at < ?", 2),
    ("SELECT * FROM contact WHERE owner_id = ? AND next_contact_at < ?", 2),
    ("SELECT event.* FROM event JOIN event_attendee a ON a.event_id = event.id WHERE a.user_id = ? AND a.end_at > ? "
     "AND a.start_at < ? AND a.active = 1", 3),
]


def raw_today(db: Path) -> float:
    conn = sqlite3.connect(db)
    bench = conn.execute("SELECT id FROM user_account WHERE login = 'bench'").fetchone()[0]
    day_start, day_end = sql_time(NOW.replace(hour=0, minute=0)), sql_time(NOW.replace(hour=0, minute=0) + timedelta(days=1))
    now = sql_time(NOW)
    start = time.perf_counter()
    for sql, n in RAW:
        params = {3: (bench, day_end, now), 2: (bench, day_end)}[n]
        if "event" in sql:
            params = (bench, day_start, day_end)
        conn.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks in the big database")
    parser.add_argument("--events", type=int, default=100_000, help="events in the big database")
    parser.add_argument("--quick", action="store_true", help="100,000 tasks and 10,000 events")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per database (median)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.events = 100_000, 10_000
    work = Path(tempfile.mkdtemp(prefix="crm-bench-schedule-"))
    env = env_for(work)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("CRM_", "HOME", "XDG", "TZ"))})
    try:
        base = template(env, work)
        small, big = work / "small.sqlite", work / "big.sqlite"
        shutil.copyfile(base, small)
        shutil.copyfile(base, big)
        t0 = time.perf_counter()
        fill(small, 1_000, 100)
        fill(big, args.tasks, args.events)
        print(f"built: small 1,000 tasks / 100 events; big {args.tasks:,} tasks / {args.events:,} events "
              f"({time.perf_counter() - t0:.1f} s)")
        print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores")
        today_in_process(small)
        today_in_process(big)  # warm both engines and the schema check
        small_times, big_times = [], []
        rows = {}
        for _ in range(args.repeat):  # interleaved, so drift hits both alike
            t, rows["small"] = today_in_process(small)
            small_times.append(t)
            t, rows["big"] = today_in_process(big)
            big_times.append(t)
        if rows["small"] != rows["big"]:
            raise SystemExit(f"the two pages differ: {rows}")
        raw_small = statistics.median(raw_today(small) for _ in range(args.repeat))
        raw_big = statistics.median(raw_today(big) for _ in range(args.repeat))
        proc_small = statistics.median(today_process(env, small) for _ in range(3))
        proc_big = statistics.median(today_process(env, big) for _ in range(3))
        ms, mb = statistics.median(small_times) * 1000, statistics.median(big_times) * 1000
        ratio = mb / ms
        print(f"crm today (warm, in process): small {ms:.1f} ms, big {mb:.1f} ms; {rows['big']} rows each")
        print(f"  raw sqlite3, the same queries: small {raw_small * 1000:.2f} ms, big {raw_big * 1000:.2f} ms")
        print(f"  a fresh crm process (context): small {proc_small * 1000:.0f} ms, big {proc_big * 1000:.0f} ms")
        passed = ratio <= 1.3
        print(f"ratio big/small {ratio:.2f} (target <= 1.3): {'PASS' if passed else 'FAIL'}")
        return 0 if passed else 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
