"""Start-up contract and documentation checks.

* ``crm --help``, ``crm NOUN --help`` and shell completion import neither SQLAlchemy
  nor Textual (nor pydantic, which Typer would otherwise load to coerce absent values);
  plain commands never import Textual.  Each case runs in a fresh interpreter and
  inspects ``sys.modules`` there.
* Every command has help text, and every group (or each of its commands) shows an
  example line starting with ``crm `` — so a command added without docs fails here.

Speed itself is measured by ``benchmarks/startup/run.py``, not asserted here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from crmcli.cli import GROUPS

# Runs argv through crmcli.cli.run() in a fresh interpreter and reports, as the last line of
# stdout, the exit code, what the command printed, and which watched packages got imported.
CHILD = r"""
import contextlib, io, json, sys
from crmcli import cli

out, err = io.StringIO(), io.StringIO()
code = None
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.run(argv)
        except SystemExit as exc:  # shell completion exits from inside Typer
            code = exc.code or 0
    if code:
        break
watched = ("sqlalchemy", "sqlmodel", "textual", "pydantic")
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(watched))
sys.__stdout__.write("\n" + json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue(),
                                        "loaded": loaded}) + "\n")
"""


def in_fresh_process(*argvs: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run each argv (in order, stopping at the first failure) in one new interpreter."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("_CRM_COMPLETE", "COMP_WORDS", "COMP_CWORD")}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps([list(a) for a in argvs])],
                          capture_output=True, text=True, env=full_env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def module_exists(noun: str) -> bool:
    return importlib.util.find_spec(GROUPS[noun][0]) is not None


def skip_unwritten(noun: str) -> None:
    if not module_exists(noun):
        pytest.skip(f"crm {noun}: {GROUPS[noun][0]} is not written yet")


def completion_env(words: str) -> dict[str, str]:
    """What bash sends for ``crm WORDS<TAB>`` (see typer._completion_classes.BashComplete)."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    return {"_CRM_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}


# --- help and completion load no database or TUI code --------------------------------------------


HELP_CASES = [["--help"], ["-h"], ["user", "--help"], ["role", "--help"], ["db", "--help"], ["user", "add", "--help"]]


@pytest.mark.parametrize("argv", HELP_CASES, ids=" ".join)
def test_help_imports_no_store_or_tui(argv: list[str]) -> None:
    result = in_fresh_process(argv)
    assert result["code"] == 0, result
    assert "Usage:" in result["out"]
    assert result["loaded"] == [], f"crm {' '.join(argv)} imported {result['loaded']}"


@pytest.mark.parametrize("noun", list(GROUPS))
def test_every_noun_help_imports_no_store_or_tui(noun: str) -> None:
    skip_unwritten(noun)
    result = in_fresh_process(["--db", "/nonexistent/crm.sqlite", noun, "--help"])
    assert result["code"] == 0, result
    assert "Usage:" in result["out"]
    assert result["loaded"] == [], f"crm {noun} --help imported {result['loaded']}"


@pytest.mark.parametrize(("words", "expected"), [
    ("crm ", ["user", "role", "db"]),
    ("crm us", ["user"]),
    ("crm --f", ["--format"]),
    ("crm user ", ["add", "list"]),
    ("crm user add --", ["--name", "--dept"]),
    ("crm --json role ", ["list"]),
])
def test_completion_imports_no_store_or_tui(words: str, expected: list[str]) -> None:
    result = in_fresh_process([], env=completion_env(words))
    assert result["code"] == 0, result
    offered = result["out"].split()
    assert set(expected) <= set(offered), f"{words!r} offered {offered}"
    assert result["loaded"] == [], f"completing {words!r} imported {result['loaded']}"


def test_every_group_offers_its_verbs_to_completion() -> None:
    for noun in GROUPS:
        if not module_exists(noun):
            continue
        result = in_fresh_process([], env=completion_env(f"crm {noun} "))
        assert result["code"] == 0, (noun, result)
        assert result["loaded"] == [], f"completing 'crm {noun} ' imported {result['loaded']}"


# --- plain commands do not load the TUI -----------------------------------------------------------


def test_plain_commands_do_not_import_textual(db_url: str) -> None:
    as_admin = ["--db", db_url, "--user", "admin"]
    result = in_fresh_process(
        [*as_admin, "user", "list"],
        [*as_admin, "--json", "user", "show", "me"],
        [*as_admin, "user", "add", "startup_probe", "--name", "Probe"],
        [*as_admin, "role", "list"],
        [*as_admin, "dept", "list"],
        [*as_admin, "audit", "list"],
        [*as_admin, "db", "info"],
    )
    assert result["code"] == 0, result
    assert "startup_probe" in result["out"]
    assert "sqlalchemy" in result["loaded"]  # the commands really ran against the database
    assert "textual" not in result["loaded"]


def test_batch_does_not_import_textual(db_url: str, tmp_path) -> None:
    script = tmp_path / "lines.crm"
    script.write_text("user add batch_probe --name 'Batch Probe'\ncrm user list\n", encoding="utf-8")
    result = in_fresh_process(["--db", db_url, "--user", "admin", "batch", str(script)])
    assert result["code"] == 0, result
    assert "batch_probe" in result["out"]
    assert "textual" not in result["loaded"]


# --- every command is documented ------------------------------------------------------------------


def _click_tree() -> list[tuple[str, Any, Any]]:
    """(path, command, parent group or None) for every command under ``crm``."""
    import typer
    from typer import _click as click
    from typer.core import TyperGroup

    import crmcli.cli

    root = typer.main.get_command(crmcli.cli.app)
    found: list[tuple[str, Any, Any]] = []

    def walk(group: Any, path: str, ctx: Any) -> None:
        for name in group.list_commands(ctx):
            if group is root and not module_exists(name):
                continue  # reported by the skips above
            command = group.get_command(ctx, name)
            assert command is not None, f"{path} {name}: listed but not found"
            if getattr(command, "hidden", False):
                continue
            sub_path = f"{path} {name}"
            found.append((sub_path, command, None if group is root else group))
            if isinstance(command, TyperGroup):
                walk(command, sub_path, click.Context(command, info_name=name, parent=ctx))

    walk(root, "crm", click.Context(root, info_name="crm"))
    return found


def _example_lines(text: str | None) -> list[str]:
    """Lines that show a command: '  crm user add bob', 'Example: crm user add bob', '… | crm batch -'."""
    lines = []
    for line in (text or "").splitlines():
        line = line.strip()
        for prefix in ("Examples:", "Example:"):
            if line.startswith(prefix):
                line = line[len(prefix):].strip()
        if any(part.strip().startswith("crm ") for part in line.split("|")):  # also: printf … | crm batch -
            lines.append(line)
    return lines


def test_every_command_has_help() -> None:
    missing = [path for path, command, _parent in _click_tree() if not (command.help or "").strip()]
    missing += [f"crm {noun} (GROUPS)" for noun, (_module, summary) in GROUPS.items() if not summary.strip()]
    assert not missing, f"commands without help text: {missing}"


def test_every_command_shows_an_example() -> None:
    """sqlite-utils style: a group shows examples in its help, or else each of its commands does."""
    from typer.core import TyperGroup

    tree = _click_tree()
    undocumented = []
    for path, command, parent in tree:
        if isinstance(command, TyperGroup):
            continue
        if _example_lines(command.help):
            continue
        if parent is not None and _example_lines(parent.help):
            continue
        undocumented.append(path)
    assert not undocumented, f"no 'crm …' example in the command's help or its group's help: {undocumented}"
    groups = [path for path, command, _parent in tree if isinstance(command, TyperGroup)]
    assert {"crm user", "crm role", "crm db"} <= set(groups)


# --- the crm process itself -----------------------------------------------------------------------


def test_a_crm_process_closes_the_database_before_exit(db_url: str) -> None:
    """main() closes connections itself before skipping the collector's final pass (cli._before_exit)."""
    from tests.conftest import backend, crm_process

    env = {"CRM_DATABASE_URL": db_url, "CRM_USER": "admin"}
    added = crm_process(["user", "add", "exit_probe", "--name", "Exit Probe"], env=env)
    assert added.returncode == 0, added.stderr
    listed = crm_process(["--format", "tsv", "user", "list"], env=env)
    assert listed.returncode == 0, listed.stderr
    assert "exit_probe" in listed.stdout
    if backend() == "sqlite":
        path = db_url.removeprefix("sqlite:///")
        assert not os.path.exists(path + "-wal"), "the last connection was not closed (no WAL checkpoint)"
