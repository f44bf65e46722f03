#!/usr/bin/env python
"""Start-up benchmarks for crm: each target is a ratio against a baseline measured in the same run.

  (a) ``crm --help``, ``crm user --help`` and shell completion   <= 8x  ``python -c pass``
  (b) ``crm user list`` on SQLite                                <= 1.3x ``import sqlmodel`` + one SELECT
  (c) 1,000 ``crm user add`` lines through ``crm batch``         >= 50x faster than 1,000 processes

Run with the project's interpreter (``.venv/bin/python benchmarks/startup/run.py``); see README.md.
Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable


def crm_command() -> list[str]:
    """The ``crm`` console script next to this interpreter (what users run), else ``python -m crmcli``."""
    script = Path(PY).parent / "crm"
    return [str(script)] if script.exists() else [PY, "-m", "crmcli"]


CRM = crm_command()


@dataclass
class Result:
    label: str
    subject: float  # median seconds
    baseline: float  # median seconds
    baseline_label: str
    ratio: float
    target: str
    passed: bool
    note: str = ""
    extrapolated: bool = False


def clean_env(home: Path) -> dict[str, str]:
    """No developer config, data dir, language or clock leaks into the measurement."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CRM_", "_CRM_", "COMP_")) and k not in ("NO_COLOR",)}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               CRM_CONFIG=str(home / "crm-config.toml"), CRM_LANG="en", TZ="UTC")
    return env


def run_once(argv: list[str], env: dict[str, str], check: bool = True) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n"
                         f"{proc.stderr.decode(errors='replace')}")
    return elapsed


def interleaved(cases: dict[str, tuple[list[str], dict[str, str]]], repeat: int) -> dict[str, list[float]]:
    """Run every case once per round (after one untimed warm-up), so drift hits all cases alike."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for argv, env in cases.values():
        run_once(argv, env)
    for _round in range(repeat):
        for name, (argv, env) in cases.items():
            times[name].append(run_once(argv, env))
    return times


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def report(results: list[Result]) -> None:
    print()
    print(f"{'measurement':44} {'median':>11} {'baseline':>11} {'ratio':>8}  {'target':10} result")
    for r in results:
        baseline = fmt_s(r.baseline) + ("*" if r.extrapolated else "")
        print(f"{r.label:44} {fmt_s(r.subject):>11} {baseline:>11} {r.ratio:7.2f}x  {r.target:10} "
              f"{'PASS' if r.passed else 'FAIL'}")
    notes = sorted({(r.baseline_label, r.note) for r in results}, key=lambda t: t[0])
    print()
    for label, note in notes:
        print(f"  baseline {label}" + (f" — {note}" if note else ""))
    if any(r.extrapolated for r in results):
        print("  * extrapolated from a sample, not measured; run with --full to measure it")


# --- (a) help and completion ---------------------------------------------------------------


def bench_help(env: dict[str, str], repeat: int) -> list[Result]:
    def completion(words: str) -> dict[str, str]:
        cword = len(words.split()) if words.endswith(" ") else len(words.split()) - 1
        return {**env, "_CRM_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}

    cases = {
        "python -c pass": ([PY, "-c", "pass"], env),
        "crm --help": (CRM + ["--help"], env),
        "crm user --help": (CRM + ["user", "--help"], env),
        "completion: crm <TAB>": (CRM, completion("crm ")),
        "completion: crm user <TAB>": (CRM, completion("crm user ")),
        "completion: crm user add --<TAB>": (CRM, completion("crm user add --")),
    }
    times = interleaved(cases, repeat)
    base = statistics.median(times.pop("python -c pass"))
    results = []
    for name, samples in times.items():
        median = statistics.median(samples)
        ratio = median / base
        results.append(Result(f"(a) {name}", median, base, "(a) python -c pass", ratio, "<= 8x", ratio <= 8.0,
                              f"{repeat} runs each, interleaved"))
    return results


# --- (b) one read command --------------------------------------------------------------


FLOOR = """
import sys
import sqlmodel
from sqlalchemy import text
engine = sqlmodel.create_engine("sqlite:///" + sys.argv[1])
with engine.connect() as conn:
    rows = conn.execute(text("SELECT * FROM user_account")).fetchall()
sys.stdout.write("".join("\\t".join(map(str, row)) + "\\n" for row in rows))
"""


def bench_list(env: dict[str, str], db: Path, repeat: int) -> list[Result]:
    cases = {
        "floor": ([PY, "-c", FLOOR, str(db)], env),
        "crm user list": (CRM + ["--db", str(db), "--user", "bench", "user", "list"], env),
    }
    times = interleaved(cases, repeat)
    base = statistics.median(times["floor"])
    median = statistics.median(times["crm user list"])
    ratio = median / base
    return [Result("(b) crm user list (SQLite, piped)", median, base, "(b) floor",
                   ratio, "<= 1.3x", ratio <= 1.3,
                   f"python: import sqlmodel, open the same file, SELECT * FROM user_account; {repeat} runs each")]


# --- (c) batch --------------------------------------------------------------------------


def user_add_args(i: int, prefix: str) -> list[str]:
    return ["user", "add", f"{prefix}{i:04d}", "--name", f"Bench User {i}", "--email", f"{prefix}{i}@example.com"]


def bench_batch(env: dict[str, str], template: Path, work: Path, repeat: int, sample: int,
                full: bool) -> list[Result]:
    lines = 1000
    batch_file = work / "add-1000.crm"
    batch_file.write_text("".join(" ".join(shlex.quote(a) for a in user_add_args(i, "b")) + "\n"
                                  for i in range(lines)), encoding="utf-8")

    # Batch runs and separate processes alternate (a slice of the processes after each batch run),
    # so a busy moment on the machine slows both sides of the ratio alike.
    separate_db = work / "separate.sqlite"
    shutil.copyfile(template, separate_db)
    count = lines if full else sample
    slices = [range(count * rep // repeat, count * (rep + 1) // repeat) for rep in range(repeat)]
    batch_times: list[float] = []
    per_process: list[float] = []
    for rep in range(repeat):
        db = work / f"batch-{rep}.sqlite"
        shutil.copyfile(template, db)
        batch_times.append(run_once(CRM + ["--db", str(db), "--user", "bench", "batch", str(batch_file)], env))
        per_process += [run_once(CRM + ["--db", str(separate_db), "--user", "bench", *user_add_args(i, "p")], env)
                        for i in slices[rep]]
    batch_median = statistics.median(batch_times)
    if full:
        separate = sum(per_process)
        how = f"measured: {lines} separate processes, total wall time"
    else:
        separate = statistics.median(per_process) * lines
        how = (f"EXTRAPOLATED: median of {count} separate `crm user add` processes x {lines} "
               f"(median {statistics.median(per_process) * 1000:.1f} ms/process); --full runs all {lines}")
    speedup = separate / batch_median
    return [Result(f"(c) {lines} x user add via crm batch", batch_median, separate,
                   f"(c) {lines} separate processes", speedup, ">= 50x", speedup >= 50.0,
                   how + f"; batch: median of {repeat} runs, each on a fresh copy of the database",
                   extrapolated=not full)]


# --- main -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="runs per start-up case (default 15)")
    parser.add_argument("--list-repeat", type=int, default=11, help="runs per case for (b) (default 11)")
    parser.add_argument("--batch-repeat", type=int, default=3, help="runs of the 1,000-line batch (default 3)")
    parser.add_argument("--sample", type=int, default=30,
                        help="separate `crm user add` processes timed for (c), extrapolated to 1,000 (default 30)")
    parser.add_argument("--full", action="store_true", help="(c): run all 1,000 separate processes (~15 minutes)")
    parser.add_argument("--only", choices=["a", "b", "c"], action="append", help="run only these parts")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    parts = set(args.only or ["a", "b", "c"])

    work = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    try:
        home = work / "home"
        home.mkdir()
        env = clean_env(home)
        template = work / "template.sqlite"
        run_once(CRM + ["--db", str(template), "init", "--admin", "bench"], env)

        print(f"crm start-up benchmark — {time.strftime('%Y-%m-%d %H:%M')}, Python {platform.python_version()}, "
              f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
        print(f"crm = {' '.join(CRM)}; database made with `crm --db PATH init --admin bench`; output to /dev/null")
        results: list[Result] = []
        if "a" in parts:
            results += bench_help(env, args.repeat)
        if "b" in parts:
            db = work / "list.sqlite"
            shutil.copyfile(template, db)
            results += bench_list(env, db, args.list_repeat)
        if "c" in parts:
            results += bench_batch(env, template, work, args.batch_repeat, args.sample, args.full)
        report(results)
        failed = [r for r in results if not r.passed]
        print()
        print("ALL TARGETS MET" if not failed else f"{len(failed)} TARGET(S) FAILED: " +
              ", ".join(r.label for r in failed))
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
