"""Ctrl-C: one handler, one message, exit 130, and the truth about what was written.

Real processes are sent SIGINT at a known point (a batch line reported done, a file held
open while waiting for a lock), never after a fixed delay.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ADMIN, backend

sqlite_only = pytest.mark.skipif(backend() != "sqlite", reason="SQLite's write lock")


def _start(db_url: str, args: list[str], env: dict[str, str] | None = None, stdin=None) -> subprocess.Popen:
    full = dict(os.environ, CRM_DATABASE_URL=db_url, CRM_USER=ADMIN, **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "crmcli", *args], stdin=stdin or subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=full)


def test_batch_keep_going_stops_at_once_on_ctrl_c(db_url, crm, tmp_path):
    script = tmp_path / "many.crm"
    script.write_text("".join(f"dept add D{i}\n" for i in range(5000)), encoding="utf-8")
    proc = _start(db_url, ["batch", "--keep-going", str(script)])
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("line 3: ok"):
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert code == 130, (seen, rest)
    last = rest.strip().splitlines()[-1]
    assert last.startswith("crm: interrupted: stopped at line "), rest
    assert "earlier lines had completed" in last
    assert "failed" not in rest  # the interrupted line is not counted as a failure and nothing went on
    done = len(crm("dept", "list", "--format", "ids").out.split()) - 1
    assert done < 5000


@sqlite_only
def test_ctrl_c_is_acted_on_while_waiting_for_the_write_lock(db_url, crm):
    path = Path(db_url.removeprefix("sqlite:///"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = _start(db_url, ["dept", "add", "Sales"], env={"CRM_BUSY_TIMEOUT": "600"})
        # It is waiting once it has the database open (its handler is installed before that).
        while proc.poll() is None and not any(
                os.path.realpath(f"/proc/{proc.pid}/fd/{fd}") == str(path)
                for fd in _fds(proc.pid)):
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        code = proc.wait(timeout=60)  # far less than the 600 s it would otherwise wait
    finally:
        holder.rollback()
        holder.close()
    assert code == 130, err
    assert err.strip().splitlines() == ["crm: interrupted: nothing was written"]
    assert "Sales" not in crm("dept", "list").out


def _fds(pid: int) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []


def test_an_interrupt_during_the_commit_reports_the_change_as_saved(crm, monkeypatch):
    """Ctrl-C that arrives while the database commits is acted on after it: the truth is "saved"."""
    from sqlalchemy.orm import Session

    real_commit = Session.commit

    def commit_then_ctrl_c(self):
        os.kill(os.getpid(), signal.SIGINT)  # delivered during the commit
        real_commit(self)

    monkeypatch.setattr(Session, "commit", commit_then_ctrl_c)
    result = crm("dept", "add", "Sales")
    monkeypatch.setattr(Session, "commit", real_commit)
    assert result.code == 130, result
    assert result.err == "crm: interrupted, but the change had already been saved\n"
    assert "Sales" in crm("dept", "list").out


def test_an_interrupt_before_the_commit_writes_nothing(crm, monkeypatch):
    from crmcli.services import departments

    def interrupted(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(departments, "add", interrupted)
    result = crm("dept", "add", "Sales")
    assert result.code == 130, result
    assert result.err == "crm: interrupted: nothing was written\n"


def test_mark_committed_note_is_the_message(crm, monkeypatch):
    """Chunked work (an import) tells the interrupt message what it had committed."""
    from crmcli import runtime
    from crmcli.services import departments

    def chunk_then_ctrl_c(*_args, **_kwargs):
        runtime.get().mark_committed("rows 1-500 were imported; --resume continues")
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(departments, "add", chunk_then_ctrl_c)
    result = crm("dept", "add", "Sales")
    assert result.code == 130
    assert result.err == "crm: interrupted: rows 1-500 were imported; --resume continues\n"
