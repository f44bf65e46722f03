#!/usr/bin/env python
"""Concurrency benchmark for crm: a mixed load of 8 processes on one database, on SQLite and PostgreSQL.

For ``--duration`` seconds (default 120) eight ``crm`` processes work on the same database at once:

  * 4 claimers (sales reps): ``pool claim`` of 3 customers at a time, drawn from one small set of pooled
    customers in a random order (so the sets overlap and the orders differ), ``customer follow`` of one they
    own, now and then ``pool return`` of what they hold;
  * 2 payers: ``contract pay`` of 1.00 on one of a few contracts;
  * 1 recycler: ``crm pool recycle`` every ``--recycle-every`` seconds (its clock is 31 days later, so it
    takes back everything the claimers hold);
  * 1 importer: ``crm lead import`` of ``--import-rows`` leads (default 500,000; it commits in chunks).

Each worker drives one ``crm batch --keep-going -`` process line by line (the importer is its own
process) and times every line.  The report, per backend: operations and p50/p99 per kind, and

  internal errors      (target 0)  exit 1, "internal error", a traceback
  lock errors          (target 0)  "database is busy/locked", "collided" (deadlock, serialization), lock timeout
  invariant violations (target 0)  the operation log replays to every customer's owner; no follow-up by
                                   someone who did not own the customer then; every contract's paid total
                                   equals its payments and stays within its amount; the import's leads all there

A refused claim ("was claimed by … first", "not in a pool", "no customer") or a follow-up on a customer the
recycler took back is the expected outcome of a race, not an error.

SQLite by default (a scratch file); ``--pg postgresql+psycopg://root@127.0.0.1:5432/test`` runs PostgreSQL
too (a scratch schema, dropped at the end).  ``--quick`` is 20 s, 20,000 leads, a recycle every 5 s.
Only local traffic; every process is bounded and stopped at the end.

Run with the project's interpreter: ``.venv/bin/python benchmarks/concurrency/run.py [--quick] [--pg URL]``.
Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "records"))
from run import CRM, NOW, clean_env, write_csv  # noqa: E402  (the records benchmark's helpers)

LATER = "2026-12-21T10:00:00+00:00"  # the recycler's clock: 31 days on, every claimed customer is due
CLAIMERS = ("c1", "c2", "c3", "c4")
CONTRACTS = 4
LOCK_WORDS = ("busy", "locked", "collided", "deadlock", "lock timeout", "could not obtain lock", "timed out")
INTERNAL_WORDS = ("internal error", "Traceback")


# --- one crm batch process, driven line by line ------------------------------------------------------


@dataclass
class Outcome:
    kind: str
    code: int
    seconds: float
    errors: list[str]


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    lock = threading.Lock()

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


class BatchProcess:
    """``crm batch --keep-going -``: one line in, its ``line N: ok|failed (exit X)`` out, timed."""

    def __init__(self, env: dict[str, str], url: str, user: str) -> None:
        self.proc = subprocess.Popen([*CRM, "--db", url, "--user", user, "batch", "--keep-going", "-"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.number = 0

    def warm_up(self) -> None:
        """Start-up, imports, the engine: done before the clock starts, not part of any timing."""
        self.run("warm-up", "pool list")

    def run(self, kind: str, line: str) -> Outcome:
        self.number += 1
        start = time.perf_counter()
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        errors: list[str] = []
        ok_line, failed_prefix = f"line {self.number}: ok", f"line {self.number}: failed (exit "
        while True:
            text = self.proc.stderr.readline()
            if not text:  # the process died
                return Outcome(kind, 1, time.perf_counter() - start, errors + ["internal error: crm batch ended"])
            text = text.rstrip("\n")
            if text == ok_line:
                return Outcome(kind, 0, time.perf_counter() - start, errors)
            if text.startswith(failed_prefix):
                return Outcome(kind, int(text[len(failed_prefix):].rstrip(")")), time.perf_counter() - start, errors)
            if text.startswith("crm:") or "Traceback" in text or errors:
                errors.append(text)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


# --- the workers ---------------------------------------------------------------------------------------


def claimer(batch: BatchProcess, hot: list[int], deadline: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    owned: list[int] = []
    try:
        while time.monotonic() < deadline:
            if owned and (len(owned) >= 6 or rng.random() < 0.15):
                back = owned[:3]
                rng.shuffle(back)
                out = batch.run("return", "pool return " + " ".join(map(str, back)) + " --reason bench")
                tally.add(out)
                owned = [i for i in owned if i not in back]  # returned, or the recycler had them already
                continue
            chosen = rng.sample(hot, 3)
            out = batch.run("claim", "pool claim " + " ".join(map(str, chosen)))
            tally.add(out)
            if out.code == 0:
                owned += chosen
            if owned:
                target = rng.choice(owned)
                out = batch.run("follow", f"customer follow {target} --via phone --note 'benchmark follow-up call'")
                tally.add(out)
                if out.code != 0:
                    owned.remove(target)  # recycled meanwhile
    finally:
        batch.close()


def payer(batch: BatchProcess, contracts: list[int], deadline: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    try:
        while time.monotonic() < deadline:
            tally.add(batch.run("pay", f"contract pay {rng.choice(contracts)} --amount 1.00"))
    finally:
        batch.close()


def recycler(batch: BatchProcess, every: float, deadline: float, tally: Tally) -> None:
    try:
        next_run = time.monotonic() + every
        while next_run < deadline:
            time.sleep(max(0.0, next_run - time.monotonic()))
            tally.add(batch.run("recycle", "pool recycle"))
            next_run += every
    finally:
        batch.close()


def importer(env: dict[str, str], url: str, csv_path: Path, limit: float, tally: Tally, result: dict) -> None:
    start = time.perf_counter()
    proc = subprocess.Popen([*CRM, "--db", url, "--user", "bench", "--format", "json", "lead", "import",
                             str(csv_path), "--dedupe-by", "email"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\ncrm: benchmark: the import did not finish in time"
    errors = [line for line in err.splitlines() if line.startswith("crm:") or "Traceback" in line]
    tally.add(Outcome("import", proc.returncode, time.perf_counter() - start, errors))
    try:
        result.update(json.loads(out))
    except ValueError:
        pass


# --- set-up ------------------------------------------------------------------------------------------------


def crm_ok(env: dict[str, str], url: str, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run([*CRM, "--db", url, "--user", "bench", *args], env=env, input=stdin, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(f"set-up: crm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def prepare(env: dict[str, str], url: str, customers: int) -> tuple[list[int], list[int]]:
    """Users, the pooled customers the claimers fight over (ids 1..N of a new database), and contracts to pay."""
    subprocess.run([*CRM, "--db", url, "init", "--admin", "bench", "--name", "Bench"], env=env, check=True,
                   capture_output=True)
    hot = list(range(1, customers + 1))
    contracts = list(range(1, CONTRACTS + 1))
    lines = [f"user add {login} --name {login} --role sales_rep" for login in CLAIMERS]
    lines.append("pool rule set reclaim_days=0 max_claims_per_day=0 max_owned=0")
    lines += [f"customer add 'Hot {i}'" for i in hot]
    lines += [f"pool return {' '.join(map(str, hot[i:i + 200]))} --reason bench" for i in range(0, len(hot), 200)]
    lines.append("customer add 'Paying Co'")
    for contract in contracts:
        lines += ["contract add --customer 'Paying Co' --amount 100000000.00", f"contract submit {contract}",
                  f"contract activate {contract}"]
    crm_ok(env, url, "--quiet", "batch", "-", stdin="\n".join(lines) + "\n")
    pooled = json.loads(crm_ok(env, url, "--format", "json", "pool", "customers", "--limit", str(customers + 10)))
    if len(pooled) != customers:
        raise SystemExit(f"set-up: {len(pooled)} pooled customers, expected {customers}")
    return hot, contracts


# --- invariants ----------------------------------------------------------------------------------------


def invariants(url: str, import_result: dict, import_ok: bool) -> list[str]:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from crmcli.store.models import AuditLog, Customer, Lead
    from crmcli.store.models.contracts import Contract, Payment

    problems: list[str] = []
    engine = create_engine(url)
    with Session(engine) as s:
        final = dict(s.execute(select(Customer.id, Customer.owner_id)).all())
        owner: dict[int, int | None] = {}
        rows = s.execute(select(AuditLog.action, AuditLog.record_id, AuditLog.changes, AuditLog.actor_id)
                         .where(AuditLog.record_type == "customer",
                                AuditLog.action.in_(("customer.add", "customer.claim", "customer.return",
                                                     "customer.recycle", "followup.add")))
                         .order_by(AuditLog.id)).all()
        for action, record_id, changes, actor_id in rows:
            if action == "followup.add":
                if owner.get(record_id) != actor_id:
                    problems.append(f"follow-up on customer {record_id} by user {actor_id}, owner {owner.get(record_id)}")
                continue
            before, after = changes["owner_id"]
            if action != "customer.add" and owner.get(record_id) != before:
                problems.append(f"{action} of customer {record_id} from {before}, but the owner was {owner.get(record_id)}")
            owner[record_id] = after
        for record_id, owner_id in final.items():
            if record_id in owner and owner[record_id] != owner_id:
                problems.append(f"customer {record_id}: the log says owner {owner[record_id]}, the row {owner_id}")
        for contract in s.execute(select(Contract)).scalars():
            paid = s.execute(select(func.coalesce(func.sum(Payment.amount), 0))
                             .where(Payment.contract_id == contract.id)).scalar_one()
            if paid != contract.paid or contract.paid > contract.amount:
                problems.append(f"contract {contract.id}: paid {contract.paid}, payments {paid}, amount {contract.amount}")
        if import_ok:
            leads = s.execute(select(func.count()).select_from(Lead)).scalar_one()
            expected = next((import_result[k] for k in ("inserted", "imported", "added") if k in import_result), None)
            if isinstance(expected, int) and leads != expected:
                problems.append(f"the import reported {expected} leads, the table has {leads}")
    engine.dispose()
    return problems


# --- one backend --------------------------------------------------------------------------------------


def run_backend(label: str, env: dict[str, str], url: str, args: argparse.Namespace, csv_path: Path) -> bool:
    print(f"\n== {label} ==", flush=True)
    t = time.perf_counter()
    hot, contracts = prepare(env, url, args.customers)
    print(f"  set-up: {len(hot)} pooled customers, {len(contracts)} contracts in {time.perf_counter() - t:.0f} s",
          flush=True)
    tally = Tally()
    import_result: dict = {}
    claimers = [BatchProcess(env, url, login) for login in CLAIMERS]
    payers = [BatchProcess(env, url, "bench") for _ in range(2)]
    recycling = BatchProcess(dict(env, CRM_NOW=LATER), url, "bench")
    for batch in (*claimers, *payers, recycling):
        batch.warm_up()  # all started at once above; the clock starts when every one is ready
    deadline = time.monotonic() + args.duration
    threads = [threading.Thread(target=importer, args=(env, url, csv_path, args.duration * 4 + 120, tally,
                                                       import_result))]
    threads += [threading.Thread(target=claimer, args=(batch, hot, deadline, tally, 100 + i))
                for i, batch in enumerate(claimers)]
    threads += [threading.Thread(target=payer, args=(batch, contracts, deadline, tally, 200 + i))
                for i, batch in enumerate(payers)]
    threads.append(threading.Thread(target=recycler, args=(recycling, args.recycle_every, deadline, tally)))
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start

    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    internal: list[str] = []
    lock_errors: list[str] = []
    for out in tally.outcomes:
        by_kind[out.kind].append(out)
        text = " | ".join(out.errors)
        if out.code == 1 or any(w in text for w in INTERNAL_WORDS):
            internal.append(f"{out.kind} (exit {out.code}): {text}")
        elif any(w in text.lower() for w in LOCK_WORDS):
            lock_errors.append(f"{out.kind} (exit {out.code}): {text}")
    import_ok = any(o.kind == "import" and o.code == 0 for o in tally.outcomes)
    problems = invariants(url, import_result, import_ok)

    print(f"  ran {elapsed:.0f} s; {len(tally.outcomes)} operations")
    print(f"  {'operation':<10} {'count':>7} {'ok':>7} {'p50 ms':>9} {'p99 ms':>9}")
    for kind in ("claim", "follow", "return", "pay", "recycle", "import"):
        outs = by_kind.get(kind, [])
        if not outs:
            continue
        times = sorted(o.seconds * 1000 for o in outs)
        p50 = statistics.median(times)
        p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
        print(f"  {kind:<10} {len(outs):>7} {sum(o.code == 0 for o in outs):>7} {p50:>9.1f} {p99:>9.1f}")
    if "import" in by_kind:
        shown = {k: v for k, v in import_result.items() if isinstance(v, (int, float, str))}
        print(f"  import: exit {by_kind['import'][0].code} {shown}")
    passed = True
    for name, found in (("internal errors", internal), ("lock errors", lock_errors),
                        ("invariant violations", problems)):
        ok = not found
        passed &= ok
        print(f"  {name:<22} {len(found):>6}   target 0   {'PASS' if ok else 'FAIL'}")
        for example in found[:5]:
            print(f"      e.g. {example[:300]}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s, 20,000 leads, a recycle every 5 s")
    parser.add_argument("--duration", type=float, help="seconds of mixed load per backend (default 120)")
    parser.add_argument("--import-rows", type=int, help="leads in the import (default 500,000)")
    parser.add_argument("--customers", type=int, default=60, help="pooled customers the claimers share (default 60)")
    parser.add_argument("--recycle-every", type=float, help="seconds between recycle runs (default 20)")
    parser.add_argument("--pg", metavar="URL", help="also run on PostgreSQL (a scratch schema in this database)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    args.duration = args.duration or (20.0 if args.quick else 120.0)
    args.import_rows = args.import_rows or (20_000 if args.quick else 500_000)
    args.recycle_every = args.recycle_every or (5.0 if args.quick else 20.0)

    print(f"crm concurrency benchmark — {platform.python_version()}, {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs; {args.duration:.0f} s per backend, 8 processes, {args.import_rows:,} leads, "
          f"recycle every {args.recycle_every:.0f} s, {args.customers} shared customers", flush=True)
    work = Path(tempfile.mkdtemp(prefix="crm-concurrency-"))
    passed = True
    try:
        env = clean_env(work / "home")
        csv_path = work / "leads.csv"
        write_csv(csv_path, args.import_rows)
        if not args.no_sqlite:
            passed &= run_backend("SQLite", env, f"sqlite:///{work / 'crm.sqlite'}", args, csv_path)
        if args.pg:
            passed &= run_pg(env, args, csv_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\nPASS" if passed else "\nFAIL")
    return 0 if passed else 1


def run_pg(env: dict[str, str], args: argparse.Namespace, csv_path: Path) -> bool:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(args.pg)
    schema = f"crmbench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(host=base.host or "127.0.0.1", port=base.port or 5432, user=base.username,
                            password=base.password, dbname=base.database, autocommit=True)
    admin.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    admin.execute(f'CREATE SCHEMA "{schema}"')
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        return run_backend("PostgreSQL", env, url, args, csv_path)
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
