"""`crm db upgrade` and `crm db restore` while other crm processes work on the same database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine

from crmcli.store import migrate, schema
from tests.conftest import ADMIN, backend

OLD = "0006_contracts"


def _popen(db_url: str, args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, CRM_DATABASE_URL=db_url, CRM_USER=ADMIN)
    return subprocess.Popen([sys.executable, "-m", "crmcli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_two_upgrades_take_turns_and_the_second_finds_nothing_to_do(empty_db_url):
    engine = create_engine(empty_db_url)
    migrate.upgrade(engine, OLD)
    engine.dispose()
    procs = [_popen(empty_db_url, ["db", "upgrade"]) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert [code for code, _err in results] == [0, 0], results
    messages = sorted("nothing to do" in err for _code, err in results)
    assert messages == [False, True], results  # one upgraded, the other waited and found nothing to do
    assert any(f"Upgraded the database from {OLD} to {schema.HEAD}." in err for _code, err in results)


@pytest.mark.skipif(backend() != "sqlite", reason="crm db restore copies SQLite files")
def test_restore_loses_no_write_acknowledged_after_it(crm, db_url, tmp_path):
    """A writer acknowledges dept adds while a restore runs: after the restore, every write it
    acknowledged later is there (the restored database holds a contiguous tail of them)."""
    backup = tmp_path / "backup.sqlite"
    assert crm("db", "backup", str(backup)).code == 0
    lines = 400
    script = tmp_path / "writes.crm"
    script.write_text("".join(f"dept add W{i:04d}\n" for i in range(1, lines + 1)), encoding="utf-8")
    writer = _popen(db_url, ["batch", "--keep-going", str(script)])
    acknowledged: set[int] = set()
    restored = None
    for line in writer.stderr:
        if line.startswith("line ") and line.rstrip().endswith(": ok"):
            acknowledged.add(int(line.split()[1].rstrip(":")))
            if len(acknowledged) == 20 and restored is None:
                restored = crm("db", "restore", str(backup), "--yes")
    assert writer.wait(timeout=300) in (0, 5)  # a line may have been refused as busy: it says so
    assert restored is not None and restored.code == 0, restored
    names = [d["path"].rpartition(" / ")[2] for d in crm("dept", "list", "--json").json()]
    present = {int(name[1:]) for name in names if name.startswith("W")}
    assert present, "no write landed after the restore"
    assert present <= acknowledged
    assert max(acknowledged) in present  # the last acknowledged write survived
    assert present == {n for n in acknowledged if n >= min(present)}  # and every acknowledged one after the restore
