#!/usr/bin/env python
"""Records benchmarks for crm on SQLite: each target is a ratio against a baseline measured in the same run.

  (a) ``crm lead import`` of N leads from CSV (checked, normalised, deduplicated by email)
      >= 40% of the rows/s of raw sqlite3 ``executemany`` of the same rows in one transaction;
      peak memory (VmHWM of the crm process) < 250 MB
  (b) on a database of N leads, ``crm lead list --owner … --status …`` and ``crm lead list --search …``
      each <= 2x the same query through raw sqlite3

Run with the project's interpreter (``.venv/bin/python benchmarks/records/run.py``); see README.md.
Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
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
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable
ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-20T10:00:00+00:00"
NOW_SQL = "2026-11-20 10:00:00.000000"
DUPLICATE_EVERY = 100  # every 100th row repeats an earlier row's email (in other case): 1% duplicates


def crm_command() -> list[str]:
    script = Path(PY).parent / "crm"
    return [str(script)] if script.exists() else [PY, "-m", "crmcli"]


CRM = crm_command()


@dataclass
class Result:
    label: str
    subject: str
    baseline: str
    ratio: float
    target: str
    passed: bool


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "_CRM_")) and k != "NO_COLOR"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               CRM_CONFIG=str(home / "crm-config.toml"), CRM_LANG="en", TZ="UTC", CRM_NOW=NOW)
    return env


def crm(env: dict[str, str], db: Path, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run([*CRM, "--db", str(db), "--user", "bench", *args], env=env, input=stdin,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"crm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


# --- data ------------------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅志鹏飞宇浩然子轩欣怡思雨"
COMPANIES = ["华为技术有限公司", "阿里巴巴集团", "腾讯科技有限公司", "Acme Ltd", "小米科技有限责任公司", "京东商城",
             "美团点评", "字节跳动", "百度在线网络技术", "网易有限公司", "Globex Inc", "Initech GmbH"]
SOURCES = ["web", "email", "ads", "event", "content", "phone", "referral", "outreach", "other"]
REGIONS = ["华东", "华北", "华南", "西南", "东北", "海外"]
INDUSTRIES = ["IT", "制造", "金融", "零售", "医疗", "教育"]
HEADER = ["name", "company", "title", "mobile", "email", "source", "region", "industry", "campaign"]


def lead_rows(n: int, seed: int = 7):
    """N deterministic lead rows (as written to the CSV); every 100th repeats an earlier email in upper case."""
    rnd = random.Random(seed)
    for i in range(n):
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + (rnd.choice(GIVEN) if rnd.random() < 0.7 else "")
        company = f"{rnd.choice(COMPANIES)}{i % 5000}"
        mobile = "1%s%09d" % (rnd.choice("35689"), rnd.randrange(10 ** 9))
        if i and i % DUPLICATE_EVERY == 0:
            j = rnd.randrange(i)
            j += 1 if j % DUPLICATE_EVERY == 0 else 0  # a row that has its own email
            email = f"lead{j}@example{(j * 7) % 101}.com".upper()
        else:
            email = f"lead{i}@example{(i * 7) % 101}.com"
        yield [name, company, "经理" if i % 3 else "总监", mobile, email, rnd.choice(SOURCES), rnd.choice(REGIONS),
               rnd.choice(INDUSTRIES), f"2026-Q{i % 4 + 1}"]


def write_csv(path: Path, n: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(lead_rows(n))


LEAD_COLUMNS = ("name", "company", "title", "mobile", "email", "source", "region", "industry", "campaign", "score",
                "status", "owner_id", "owned_since", "email_key", "phone_key", "created_by", "created_at",
                "updated_at")


def baseline_tuples(n: int, owner_id: int) -> list[tuple]:
    """The rows the import stores (the first row of each email, keys normalised), ready for executemany."""
    seen: set[str] = set()
    out = []
    for name, company, title, mobile, email, source, region, industry, campaign in lead_rows(n):
        key = email.lower()
        if key in seen:
            continue
        seen.add(key)
        out.append((name, company, title, mobile, email, source, region, industry, campaign, 0, "new", owner_id,
                    NOW_SQL, key, "+86" + mobile, owner_id, NOW_SQL, NOW_SQL))
    return out


def sqlite_connect(path: Path) -> sqlite3.Connection:
    """A connection configured as crm's engine configures its own (WAL, synchronous NORMAL, foreign keys)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


FTS_COLUMNS = "name, company, phone, mobile, email"


def raw_load(path: Path, rows: list[tuple], bare: bool = False, cache_kb: int | None = None) -> float:
    """Raw sqlite3: one transaction, one executemany, the search index filled with one INSERT … SELECT.

    ``bare``: into the table without its secondary indexes and full-text index (context only).
    ``cache_kb``: with the page cache crm's import sets for itself (context only; the target's
    baseline keeps SQLite's default, as crm's engine configures every other connection).
    """
    conn = sqlite_connect(path)
    if cache_kb:
        conn.execute(f"PRAGMA cache_size = -{cache_kb}")
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = 'lead_fts_ai'").fetchall()
    if bare:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lead' "
                                    "AND sql IS NOT NULL").fetchall():
            conn.execute(f"DROP INDEX {name}")
    sql = f"INSERT INTO lead ({', '.join(LEAD_COLUMNS)}) VALUES ({', '.join('?' * len(LEAD_COLUMNS))})"
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DROP TRIGGER lead_fts_ai")
    before = conn.execute("SELECT coalesce(max(id), 0) FROM lead").fetchone()[0]
    conn.executemany(sql, rows)
    if not bare:
        conn.execute(f"INSERT INTO lead_fts(rowid, {FTS_COLUMNS}) SELECT id, {FTS_COLUMNS} FROM lead WHERE id > ?",
                     (before,))
        conn.execute(triggers[0][1])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


# ``crm`` that reports its own peak memory on stderr.  The high-water mark of the process's memory after
# exec (VmHWM) is what counts: ru_maxrss from wait4 would also count the moment between fork and exec,
# when the child is still a copy of this benchmark process and its million baseline rows.
LAUNCH = ("import sys\nfrom crmcli.cli import main\ntry:\n    main()\nfinally:\n"
          "    try:\n        hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
          "    except OSError:\n        hwm = ''\n    sys.stderr.write('\\n' + hwm)\n")


def run_import(env: dict[str, str], db: Path, csv_path: Path) -> tuple[float, float, dict]:
    """``crm lead import`` as its own process: (seconds, peak RSS in MB, the report)."""
    argv = [PY, "-c", LAUNCH, "--db", str(db), "--user", "bench", "--format", "json", "lead", "import",
            str(csv_path), "--dedupe-by", "email"]
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"crm lead import failed ({proc.returncode}):\n{stderr}")
    hwm = [line.split()[1] for line in stderr.splitlines() if line.startswith("VmHWM:")]
    peak = int(hwm[-1]) / 1024 if hwm else usage.ru_maxrss / 1024  # without /proc: an upper bound
    return elapsed, peak, json.loads(out.read())


def check_imported(db: Path, expected: int) -> None:
    """The import's result is searchable and complete: row count, FTS integrity, one log row per record."""
    conn = sqlite3.connect(db)
    count = conn.execute("SELECT count(*) FROM lead").fetchone()[0]
    logged = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'lead.import'").fetchone()[0]
    conn.execute("INSERT INTO lead_fts(lead_fts) VALUES ('integrity-check')")
    hits = conn.execute("SELECT count(*) FROM lead_fts WHERE lead_fts MATCH '\"lead1@example7\"'").fetchone()[0]
    trigger = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'lead_fts_ai'").fetchone()[0]
    conn.close()
    if (count, logged, hits, trigger) != (expected, expected, 1, 1):
        raise SystemExit(f"import result is wrong: {count} leads, {logged} log rows, {hits} search hits, "
                         f"trigger {trigger}; expected {expected}, {expected}, 1, 1")


def bench_import(env: dict[str, str], work: Path, template: Path, rows: int, repeat: int,
                 with_cache: bool = True) -> list[Result]:
    csv_path = work / "leads.csv"
    start = time.perf_counter()
    write_csv(csv_path, rows)
    print(f"  wrote {rows:,} rows to CSV ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s",
          flush=True)
    owner_id = sqlite3.connect(template).execute("SELECT id FROM user_account WHERE login = 'bench'").fetchone()[0]
    tuples = baseline_tuples(rows, owner_id)
    unique = len(tuples)
    raw_times, crm_times, rss = [], [], []
    for round_ in range(repeat):  # interleaved: a slow moment hits both
        db = work / "raw.sqlite"
        shutil.copyfile(template, db)
        raw_times.append(raw_load(db, tuples))
        db.unlink()
        db = work / "import.sqlite"
        shutil.copyfile(template, db)
        seconds, peak, report = run_import(env, db, csv_path)
        if (report["inserted"], report["skipped"], report["rejected"]) != (unique, rows - unique, 0):
            raise SystemExit(f"unexpected import report: {report}")
        if round_ == 0:
            check_imported(db, unique)
        crm_times.append(seconds)
        rss.append(peak)
        db.unlink()
        print(f"  round {round_ + 1}: raw {raw_times[-1]:.1f} s, crm lead import {seconds:.1f} s, {peak:.0f} MB",
              flush=True)
    db = work / "bare.sqlite"
    shutil.copyfile(template, db)
    bare = raw_load(db, tuples, bare=True)
    db.unlink()
    cached = None
    if with_cache:
        from crmcli.services.bulk_insert import IMPORT_CACHE_KB

        db = work / "cached.sqlite"
        shutil.copyfile(template, db)
        cached = raw_load(db, tuples, cache_kb=IMPORT_CACHE_KB)
        db.unlink()
    raw_s, crm_s = statistics.median(raw_times), statistics.median(crm_times)
    raw_rate, crm_rate, bare_rate = rows / raw_s, rows / crm_s, rows / bare
    ratio = crm_rate / raw_rate
    print(f"  context: raw executemany into the table without indexes or search index: {bare:.1f} s "
          f"({bare_rate:,.0f} rows/s); crm import is {crm_rate / bare_rate:.0%} of that")
    if cached is not None:
        print(f"  context: raw executemany with the {IMPORT_CACHE_KB // 1024} MB page cache crm's import sets for "
              f"itself: {cached:.1f} s ({rows / cached:,.0f} rows/s); crm import is "
              f"{crm_rate / (rows / cached):.0%} of that")
    peak = max(rss)
    return [
        Result(f"(a) import {rows:,} leads (CSV, dedupe by email)", f"{crm_s:.1f} s = {crm_rate:,.0f} rows/s",
               f"raw executemany {raw_s:.1f} s = {raw_rate:,.0f} rows/s", ratio, ">= 40%", ratio >= 0.40),
        Result("(a) peak memory of crm lead import", f"{peak:.0f} MB", "-", peak, "< 250 MB", peak < 250),
    ]


# --- (b) list on a big database --------------------------------------------------------------------

STATUSES = [("new", 40), ("qualifying", 30), ("converted", 10), ("invalid", 20)]


def build_list_db(env: dict[str, str], work: Path, template: Path, rows: int) -> tuple[Path, dict[str, int]]:
    db = work / "list.sqlite"
    shutil.copyfile(template, db)
    script = "".join(f"user add rep{i} --name 'Rep {i}' --role sales_rep\n" for i in range(1, 9))
    crm(env, db, "batch", "-", stdin=script)
    conn = sqlite_connect(db)
    users = dict(conn.execute("SELECT login, id FROM user_account").fetchall())
    owners = [users["bench"]] + [users[f"rep{i}"] for i in range(1, 9)]
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    rnd = random.Random(11)
    start = time.perf_counter()

    def rows_():
        for i, (name, company, title, mobile, email, source, region, industry, campaign) in enumerate(lead_rows(rows, 3)):
            created = f"20{24 + i * 2 // rows}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d} " \
                      f"{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:{rnd.randrange(60):02d}.000000"
            owner = rnd.choice(owners)
            status = rnd.choice(statuses)
            yield (name, company, title, mobile, f"{i}.{email.lower()}", source, region, industry, campaign,
                   rnd.randrange(101), status, owner, created, email.lower(), "+86" + mobile, owner, created, created)

    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DROP TRIGGER lead_fts_ai")
    conn.executemany(f"INSERT INTO lead ({', '.join(LEAD_COLUMNS)}) VALUES ({', '.join('?' * len(LEAD_COLUMNS))})",
                     rows_())
    conn.execute(f"INSERT INTO lead_fts(rowid, {FTS_COLUMNS}) SELECT id, {FTS_COLUMNS} FROM lead")
    conn.execute(f"CREATE TRIGGER lead_fts_ai AFTER INSERT ON lead BEGIN INSERT INTO lead_fts(rowid, {FTS_COLUMNS}) "
                 f"VALUES (new.id, new.name, new.company, new.phone, new.mobile, new.email); END")
    conn.execute("COMMIT")
    conn.close()
    print(f"  built a database of {rows:,} leads in {time.perf_counter() - start:.1f} s", flush=True)
    return db, users


def crm_in_process(db: Path, args: list[str]) -> float:
    """One ``crm`` command in this (warm) process, as ``crm batch`` and the TUI run them; output discarded."""
    from crmcli.cli import run

    sink = io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(sink), redirect_stderr(io.StringIO()):
        code = run(["--db", str(db), "--user", "bench", "--format", "tsv", *args])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"crm {' '.join(args)} failed ({code})")
    lines = sink.getvalue().count("\n")
    if lines < 2:
        raise SystemExit(f"crm {' '.join(args)} found nothing")
    return elapsed


def raw_query(conn: sqlite3.Connection, sql: str, params: tuple) -> float:
    start = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - start
    if not rows:
        raise SystemExit(f"raw query found nothing: {sql}")
    return elapsed


def bench_list(env: dict[str, str], work: Path, template: Path, rows: int, repeat: int) -> list[Result]:
    db, users = build_list_db(env, work, template, rows)
    for key, value in clean_env(work / "home").items():
        os.environ[key] = value
    for key in [k for k in os.environ if k.startswith("CRM_") and k not in ("CRM_CONFIG", "CRM_LANG", "CRM_NOW")]:
        del os.environ[key]
    conn = sqlite_connect(db)
    term = "技术有限公司123"  # one company name in 5,000 (with its numbers: 4123, 123 …)
    cases = {
        "owner + status": (["lead", "list", "--owner", "rep3", "--status", "new"],
                           "SELECT * FROM lead WHERE owner_id = ? AND status = ? "
                           "ORDER BY created_at DESC, id DESC LIMIT 51", (users["rep3"], "new")),
        "search": (["lead", "list", "--search", term],
                   "SELECT * FROM lead WHERE id IN (SELECT rowid FROM lead_fts WHERE lead_fts MATCH ?) "
                   "ORDER BY created_at DESC, id DESC LIMIT 51", (f'"{term}"',)),
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
        results.append(Result(f"(b) crm lead list {' '.join(args[2:])}", f"{crm_s * 1000:.1f} ms",
                              f"raw sqlite3 {raw_s * 1000:.1f} ms", ratio, "<= 2x", ratio <= 2.0))
    conn.close()
    return results


# --- report ------------------------------------------------------------------------------------------


def report(results: list[Result]) -> None:
    print()
    width = max(len(r.label) for r in results)
    for r in results:
        ratio = f"{r.ratio:.0%}" if r.target.endswith("%") else (f"{r.ratio:.2f}x" if "x" in r.target else f"{r.ratio:.0f} MB")
        print(f"{r.label:<{width}}  {r.subject:>28}  vs {r.baseline:<36} {ratio:>7}  target {r.target:<8} "
              f"{'PASS' if r.passed else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="leads to import / in the list database")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of (a), each raw + crm (median)")
    parser.add_argument("--list-repeat", type=int, default=15, help="timed runs per query in (b) (median)")
    parser.add_argument("--only", action="append", choices=["a", "b"], help="run only (a) or (b) (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    only = set(args.only or ["a", "b"])
    work = Path(tempfile.mkdtemp(prefix="crm-records-bench-"))
    home = work / "home"
    home.mkdir()
    env = clean_env(home)
    print(f"crm records benchmark: {args.rows:,} rows; Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; {work}", flush=True)
    started = time.perf_counter()
    results: list[Result] = []
    try:
        template = work / "template.sqlite"
        subprocess.run([*CRM, "--db", str(template), "init", "--admin", "bench", "--name", "Bench"], env=env,
                       check=True, capture_output=True)
        if "a" in only:
            results += bench_import(env, work, template, args.rows, args.repeat)
        if "b" in only:
            results += bench_list(env, work, template, args.rows, args.list_repeat)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
