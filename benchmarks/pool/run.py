#!/usr/bin/env python
"""Public-pool benchmarks for crm; each target is a ratio against a baseline measured in the same run.

  (a) ``crm pool recycle`` over N customers (default 1,000,000) of which N/10 are due
      <= 1.5x the same work through the raw driver: one transaction with the same SELECT (the
      follow-up rule's NOT EXISTS on customers' and contacts' follow-ups included), the same UPDATE
      and the operation-log rows (sqlite3 ``executemany``; psycopg ``COPY`` on PostgreSQL).
      Both run in this process (crm through its CLI entry point, as ``crm batch`` runs commands), so
      interpreter start-up, the same for every command, is not part of the ratio.
  (b) ``crm pool claim`` of one pooled customer on a database of N customers
      <= 1.2x the same claim on a database of 1,000 (median of several claims, each its own transaction).

SQLite by default; ``--pg postgresql+psycopg://root@127.0.0.1:5432/test`` runs (a) and (b) on
PostgreSQL too (in a scratch schema, dropped at the end).  ``--quick`` is N = 20,000.

Run with the project's interpreter: ``.venv/bin/python benchmarks/pool/run.py [--quick] [--rows N]``.
Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "records"))
from run import CRM, Result, clean_env, report, sqlite_connect  # noqa: E402  (the records benchmark's helpers)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
FMT = "%Y-%m-%d %H:%M:%S.%f"
DUE_SINCE = NOW - timedelta(days=40)  # owned 40 days, no qualifying follow-up: the 30-day rule catches it
SAFE_SINCE = NOW - timedelta(days=10)
CUT = NOW - timedelta(days=30)  # the follow-up rule's cut-off
DEAL_CUT = NOW - timedelta(days=90)  # the deal rule's
VIA = ("phone", "email", "visit", "sms", "wechat")
REASONS = {"followup": "no qualifying follow-up for 30 days", "deal": "no deal for 90 days"}


def kind_of(i: int) -> str:
    """Customer i: due (1 in 10), pooled (1 in 10), saved by a recent follow-up (1 in 20), or recently owned."""
    if i % 10 == 0:
        return "due"
    if i % 10 == 1:
        return "pooled"
    if i % 20 == 2:
        return "followed"
    return "recent"


# --- the baseline's SQL (the same conditions crm's default rule builds) ------------------------------

DUE_WHERE = """c.owner_id IS NOT NULL AND c.merged_into_id IS NULL AND NOT (c.locked = {true})
  AND ((coalesce(c.owned_since, c.created_at) <= {p} AND NOT EXISTS (SELECT 1 FROM followup f WHERE
        f.record_type = 'customer' AND f.record_id = c.id AND f.at > {p} AND f.via IN ({via})
        AND length(trim(f.content)) >= 6)
       AND NOT EXISTS (SELECT 1 FROM contact ct, followup f WHERE ct.customer_id = c.id AND
        f.record_type = 'contact' AND f.record_id = ct.id AND f.at > {p} AND f.via IN ({via})
        AND length(trim(f.content)) >= 6))
   OR (coalesce(c.owned_since, c.created_at) <= {p} AND (c.last_deal_at IS NULL OR c.last_deal_at <= {p})))"""


FOLLOWUP_DUE = """(coalesce(c.owned_since, c.created_at) <= {p} AND NOT EXISTS (SELECT 1 FROM followup f WHERE
        f.record_type = 'customer' AND f.record_id = c.id AND f.at > {p} AND f.via IN ({via})
        AND length(trim(f.content)) >= 6)
       AND NOT EXISTS (SELECT 1 FROM contact ct, followup f WHERE ct.customer_id = c.id AND
        f.record_type = 'contact' AND f.record_id = ct.id AND f.at > {p} AND f.via IN ({via})
        AND length(trim(f.content)) >= 6))"""


def due_sql(dialect: str) -> str:
    p = "?" if dialect == "sqlite" else "%s"
    via = ", ".join(f"'{v}'" for v in VIA)
    return DUE_WHERE.format(p=p, via=via, true="1" if dialect == "sqlite" else "true")


def reason_sql(dialect: str) -> str:
    """Which rule fired (logged with each move): the follow-up rule's conditions again, as crm computes it."""
    p = "?" if dialect == "sqlite" else "%s"
    via = ", ".join(f"'{v}'" for v in VIA)
    return "CASE WHEN " + FOLLOWUP_DUE.format(p=p, via=via) + " THEN 'followup' ELSE 'deal' END"


# --- SQLite ----------------------------------------------------------------------------------------


def sqlite_db(env: dict[str, str], work: Path, n: int) -> Path:
    db = work / f"pool-{n}.sqlite"
    subprocess.run([*CRM, "--db", str(db), "init", "--admin", "bench", "--name", "Bench"], env=env, check=True,
                   capture_output=True)
    subprocess.run([*CRM, "--db", str(db), "--user", "bench", "user", "add", "claimer", "--name", "Claimer",
                    "--role", "sales_rep"], env=env, check=True, capture_output=True)
    conn = sqlite_connect(db)
    conn.execute("BEGIN")
    rows, followups = [], []
    for i in range(1, n + 1):
        k = kind_of(i)
        owner = None if k == "pooled" else 1
        since = {"due": DUE_SINCE, "followed": DUE_SINCE, "pooled": None}.get(k, SAFE_SINCE)
        created = DUE_SINCE - timedelta(days=1)
        rows.append((f"Customer {i}", "company", "new", 0, "none", owner, since and since.strftime(FMT),
                     created.strftime(FMT), created.strftime(FMT), DUE_SINCE.strftime(FMT) if k == "pooled" else None,
                     1 if k == "pooled" else None))
        if k == "followed":
            at = (NOW - timedelta(days=5)).strftime(FMT)
            followups.append(("customer", i, "phone", "discussed the renewal", at, 1, at))
    conn.executemany("INSERT INTO customer (name, kind, status, locked, deal_status, owner_id, owned_since, "
                     "created_at, updated_at, pooled_at, prev_owner_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO followup (record_type, record_id, via, content, at, author_id, created_at) "
                     "VALUES (?,?,?,?,?,?,?)", followups)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def sqlite_restore(db: Path) -> None:
    """Put the due customers back with their owner (between runs), and empty the WAL."""
    conn = sqlite_connect(db)
    conn.execute("UPDATE customer SET owner_id = 1, owned_since = ?, pooled_at = NULL, prev_owner_id = NULL, "
                 "pool_id = NULL WHERE id % 10 = 0", (DUE_SINCE.strftime(FMT),))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def sqlite_raw_recycle(db: Path, expected: int) -> float:
    conn = sqlite_connect(db)
    cut, deal_cut, now = CUT.strftime(FMT), DEAL_CUT.strftime(FMT), NOW.strftime(FMT)
    where = due_sql("sqlite")
    params = (cut, cut, cut, deal_cut, deal_cut)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    found = conn.execute(f"SELECT c.id, c.owner_id, c.name, c.pool_id, {reason_sql('sqlite')} FROM customer c "
                         f"WHERE {where}", (cut, cut, cut, *params)).fetchall()
    conn.execute(f"UPDATE customer AS c SET owner_id = NULL, prev_owner_id = owner_id, pool_id = 1, pooled_at = ?, "
                 f"owned_since = NULL, updated_at = ? WHERE {where}", (now, now, *params))
    conn.executemany("INSERT INTO audit_log (at, recorded_at, actor_id, actor_login, action, record_type, record_id, "
                     "record_label, command, changes, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     [(now, now, 1, "bench", "customer.recycle", "customer", cid, name, "crm pool recycle",
                       '{"owner_id": [%d, null], "pool_id": [null, 1]}' % owner, REASONS[reason])
                      for cid, owner, name, _pool, reason in found])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    if len(found) != expected:
        raise SystemExit(f"raw recycle moved {len(found)}, expected {expected}")
    return elapsed


# --- crm as a process --------------------------------------------------------------------------------


def crm_timed(env: dict[str, str], db: str, *args: str) -> tuple[float, str]:
    """One ``crm`` command run in this (warm) process, as ``crm batch`` runs them: start-up (the same for every
    command, ~0.5-1 s on this kind of machine, measured by benchmarks/startup) is left out of the ratio."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from crmcli.cli import run

    sink, errors = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(sink), redirect_stderr(errors):
        code = run(["--db", db, *args])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"crm {' '.join(args)} failed ({code}):\n{errors.getvalue()}")
    return elapsed, sink.getvalue()


def crm_recycle(env: dict[str, str], db: str, expected: int) -> float:
    elapsed, out = crm_timed(env, db, "--user", "bench", "--format", "json", "pool", "recycle")
    import json

    moved = json.loads(out)["moved"]
    if moved != expected:
        raise SystemExit(f"crm pool recycle moved {moved}, expected {expected}")
    return elapsed


def bench_recycle(label: str, env, db: str, n: int, repeat: int, raw, restore) -> Result:
    expected = n // 10
    raw_times, crm_times = [], []
    crm_timed(env, db, "--user", "bench", "pool", "list")  # warm: imports, the engine and the schema check
    for _ in range(repeat):
        raw_times.append(raw(expected))
        restore()
        crm_times.append(crm_recycle(env, db, expected))
        restore()
    raw_s, crm_s = statistics.median(raw_times), statistics.median(crm_times)
    print(f"  (a) {label}: raw {raw_s:.2f} s, crm {crm_s:.2f} s (medians of {repeat})", flush=True)
    ratio = crm_s / raw_s
    return Result(f"(a) recycle {label}", f"crm pool recycle ({expected:,} of {n:,})",
                  "raw SELECT+UPDATE+log inserts", ratio, "<= 1.5x", ratio <= 1.5)


def bench_claim(label: str, env, big: str, small: str, n: int, repeat: int) -> Result:
    """Claims on the two databases taken in turn (so that a busy moment of the machine hits both alike)."""
    for db in (small, big):
        crm_timed(env, db, "--user", "claimer", "pool", "list")  # warm: the engine and the schema check
    firsts = {small: 1 + 10 * 5, big: 1 + 10 * (n // 20)}  # ids ending in 1 are pooled
    times: dict[str, list[float]] = {small: [], big: []}
    for j in range(repeat):
        for db in (small, big):
            cid = firsts[db] + 10 * j
            times[db].append(crm_timed(env, db, "--user", "claimer", "pool", "claim", str(cid))[0])
    small_s, big_s = statistics.median(times[small]), statistics.median(times[big])
    print(f"  (b) {label}: 1,000 customers {small_s * 1000:.0f} ms, {n:,} customers {big_s * 1000:.0f} ms "
          f"(medians of {repeat})", flush=True)
    ratio = big_s / small_s
    return Result(f"(b) claim {label}", f"claim on {n:,}", "claim on 1,000", ratio, "<= 1.2x", ratio <= 1.2)


# --- PostgreSQL --------------------------------------------------------------------------------------


def pg_prepare(env: dict[str, str], url: str, n: int):
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    schema = f"crmbench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(host=base.host or "127.0.0.1", port=base.port or 5432, user=base.username,
                            password=base.password, dbname=base.database, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    crm_url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    subprocess.run([*CRM, "--db", crm_url, "init", "--admin", "bench", "--name", "Bench"], env=env, check=True,
                   capture_output=True)
    subprocess.run([*CRM, "--db", crm_url, "--user", "bench", "user", "add", "claimer", "--name", "Claimer", "--role",
                    "sales_rep"], env=env, check=True, capture_output=True)
    conn = psycopg.connect(host=base.host or "127.0.0.1", port=base.port or 5432, user=base.username,
                           password=base.password, dbname=base.database, options=f"-csearch_path={schema}")
    with conn.cursor() as cur:
        with cur.copy("COPY customer (name, kind, status, locked, deal_status, owner_id, owned_since, created_at, "
                      "updated_at, pooled_at, prev_owner_id) FROM STDIN") as copy:
            for i in range(1, n + 1):
                k = kind_of(i)
                since = {"due": DUE_SINCE, "followed": DUE_SINCE, "pooled": None}.get(k, SAFE_SINCE)
                created = DUE_SINCE - timedelta(days=1)
                copy.write_row((f"Customer {i}", "company", "new", False, "none", None if k == "pooled" else 1, since,
                                created, created, DUE_SINCE if k == "pooled" else None, 1 if k == "pooled" else None))
        with cur.copy("COPY followup (record_type, record_id, via, content, at, author_id, created_at) FROM STDIN") as copy:
            for i in range(1, n + 1):
                if kind_of(i) == "followed":
                    at = NOW - timedelta(days=5)
                    copy.write_row(("customer", i, "phone", "discussed the renewal", at, 1, at))
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    return admin, conn, schema, crm_url


def pg_raw_recycle(conn, expected: int) -> float:
    where = due_sql("postgresql")
    params = (CUT, CUT, CUT, DEAL_CUT, DEAL_CUT)
    start = time.perf_counter()
    with conn.cursor() as cur:
        found = cur.execute(f"SELECT c.id, c.owner_id, c.name, c.pool_id, {reason_sql('postgresql')} FROM customer c "
                            f"WHERE {where} ORDER BY c.id FOR UPDATE OF c", (CUT, CUT, CUT, *params)).fetchall()
        cur.execute(f"UPDATE customer AS c SET owner_id = NULL, prev_owner_id = owner_id, pool_id = 1, pooled_at = %s, "
                    f"owned_since = NULL, updated_at = %s WHERE {where}", (NOW, NOW, *params))
        with cur.copy("COPY audit_log (at, recorded_at, actor_id, actor_login, action, record_type, record_id, "
                      "record_label, command, changes, reason) FROM STDIN") as copy:
            for cid, owner, name, _pool, reason in found:
                copy.write_row((NOW, NOW, 1, "bench", "customer.recycle", "customer", cid, name, "crm pool recycle",
                                '{"owner_id": [%d, null], "pool_id": [null, 1]}' % owner, REASONS[reason]))
    conn.commit()
    elapsed = time.perf_counter() - start
    if len(found) != expected:
        raise SystemExit(f"raw recycle moved {len(found)}, expected {expected}")
    return elapsed


def pg_restore(conn) -> None:
    conn.execute("UPDATE customer SET owner_id = 1, owned_since = %s, pooled_at = NULL, prev_owner_id = NULL, "
                  "pool_id = NULL WHERE id %% 10 = 0", (DUE_SINCE,))
    conn.commit()


# --- main --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="customers in the big database")
    parser.add_argument("--quick", action="store_true", help="20,000 customers")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of (a) (median)")
    parser.add_argument("--claims", type=int, default=21, help="claims per database in (b) (median)")
    parser.add_argument("--pg", metavar="URL", help="also run on PostgreSQL (a scratch schema in this database)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.rows
    work = Path(tempfile.mkdtemp(prefix="crm-pool-bench-"))
    home = work / "home"
    home.mkdir()
    env = clean_env(home)
    os.environ.clear()
    os.environ.update(env)  # crm runs in this process (see crm_timed)
    print(f"crm pool benchmark: {n:,} customers; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs; {work}", flush=True)
    started = time.perf_counter()
    results: list[Result] = []
    try:
        if not args.no_sqlite:
            t = time.perf_counter()
            big = sqlite_db(env, work, n)
            small = sqlite_db(env, work, 1000)
            print(f"  loaded SQLite databases in {time.perf_counter() - t:.0f} s", flush=True)
            results.append(bench_recycle("SQLite", env, str(big), n, args.repeat,
                                         lambda e: sqlite_raw_recycle(big, e), lambda: sqlite_restore(big)))
            results.append(bench_claim("SQLite", env, str(big), str(small), n, args.claims))
        if args.pg:
            t = time.perf_counter()
            admin, conn, schema, url = pg_prepare(env, args.pg, n)
            admin_s, conn_s, schema_s, small_url = pg_prepare(env, args.pg, 1000)
            print(f"  loaded PostgreSQL schemas in {time.perf_counter() - t:.0f} s", flush=True)
            try:
                results.append(bench_recycle("PostgreSQL", env, url, n, args.repeat,
                                             lambda e: pg_raw_recycle(conn, e), lambda: pg_restore(conn)))
                results.append(bench_claim("PostgreSQL", env, url, small_url, n, args.claims))
            finally:
                conn.close()
                conn_s.close()
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
                admin_s.execute(f'DROP SCHEMA "{schema_s}" CASCADE')
                admin.close()
                admin_s.close()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
